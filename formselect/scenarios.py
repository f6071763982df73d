"""Golden scenarios: expected outcomes written in TOML, which a lawyer can read and write.

One scenario per file, or several as ``[[scenario]]`` tables::

    as_of = 2025-03-01                       # shared by every scenario below
    case_file = "../../examples/epic.toml"   # relative to this file
    rules = ["../packs/batch"]               # optional; replace_rules = true drops built-ins

    [[scenario]]
    name = "a staff majority gets the staff form"
    case.ownership.employee_pct = 75         # changes to the shared case
    expect_form = "staff_form"
    expect_route = "reserved_route"
    expect_fired = ["B-STAFF"]
    expect_not_fired = ["B-PRIVATE"]
    expect_risks = ["high", "B-LGPS"]        # severities or rule ids
    expect_derived = { regime = "new_rules" }

Top-level keys are defaults for every ``[[scenario]]``; a scenario's ``case`` facts are laid
over the shared case (and over ``case_file``); ``"unknown"`` makes a shared fact unknown. In
a file with ``[[scenario]]`` tables, write a scenario's case sections as dotted keys
(``case.ownership.employee_pct = 75``) or ``[scenario.case.ownership]`` tables: in TOML a
plain ``[case.ownership]`` table belongs to the file, wherever it is written.

What each expectation means: ``expect_form`` — this form is recommended (status
``recommended``, or first after a tie the prior broke); ``expect_status`` — ``recommended``,
``tie``, ``no_viable_form`` or ``out_of_coverage``; ``expect_family_rank`` — the family of
``actual_form`` ranks here among the families of the forms not ruled out (real cases, which
also record ``actual_form``, ``actual_route``, their evidence, ``sector`` and ``sources``);
``expect_route`` — the recommended route (``"none"``: no route); ``expect_fired`` /
``expect_not_fired`` — these rules fire / do not; ``expect_risks`` — each rule id is among
the risks flagged and each severity has at least one risk (``expect_no_risks``: none of
them); ``expect_excluded`` — these forms are ruled out or routes not available;
``expect_derived`` — derived facts have these values (``"unknown"``: no rule derived it).

A scenario that expects nothing, or that names a field, rule, form, route, risk or derived
fact that does not exist, is an *error*, never a pass: a typo must not turn a check into
silence.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import attrs

from .advice import Advice, FormStatus, Outcome, RouteStatus, Status
from .api import advise, builtin_pack, load_rules
from .case.io import UNKNOWN, case_from_dict, case_to_dict, load_case
from .errors import FormselectError, ProblemsError, did_you_mean
from .pack.model import Pack, Severity

__all__ = ["FIELDS", "Scenario", "ScenarioResult", "families", "family_rank", "load_scenarios",
           "run_scenario", "run_scenarios", "scenario_files"]

FIELDS: Mapping[str, str] = {
    "name": "text",
    "description": "text",
    "as_of": "a date such as 2025-03-01",
    "case": "a table of case sections ([case.ownership] ...)",
    "case_file": "a case file path, relative to the scenario file",
    "rules": "a rule file or folder path (or a list), relative to the scenario file",
    "replace_rules": "true or false",
    "expect_status": "one of " + ", ".join(s.value for s in Status),
    "expect_form": "a form id",
    "expect_route": "a route id, or \"none\"",
    "expect_fired": "a list of rule ids",
    "expect_not_fired": "a list of rule ids",
    "expect_risks": "a list of rule ids or severities",
    "expect_no_risks": "a list of rule ids or severities",
    "expect_excluded": "a list of form or route ids",
    "expect_derived": "a table of derived facts and values ({ regime = \"...\" })",
    "expect_family_rank": "a whole number from 1: where the actual form's family ranks",
    "actual_form": "a form id: the form the organisation really took (real cases)",
    "actual_form_confidence": "high, medium or low: how well the actual form is verified",
    "actual_form_evidence": "text: where the actual form is recorded",
    "actual_family_verified": "true or false: whether even the form's family is verified",
    "actual_route": "a route id, or \"unknown\": how the first contract was really awarded",
    "actual_route_evidence": "text: where the actual route is recorded",
    "sector": "text: the kind of service (nhs_community_services, youth_services, ...)",
    "sources": "a list of tables { n, title, url, publisher, date }: the case's sources",
}
CONFIDENCES = ("high", "medium", "low")
LISTS = ("expect_fired", "expect_not_fired", "expect_risks", "expect_no_risks",
         "expect_excluded")
TEXTS = ("name", "description", "case_file", "expect_status", "expect_form", "expect_route",
         "actual_form", "actual_form_confidence", "actual_form_evidence", "actual_route",
         "actual_route_evidence", "sector")
NO_ROUTE = "none"
FILE_ONLY = ("name", "description")  # describe the file; not inherited by its scenarios


@attrs.frozen
class Scenario:
    """One scenario as read: its fields (file defaults merged in) and any problems that make
    it an error before it runs."""

    path: Path
    name: str
    line: int
    fields: Mapping[str, Any] = attrs.field(factory=dict)
    problems: tuple[str, ...] = ()

    def where(self, key: str = "") -> str:
        """``file:line: scenario 'name'`` for messages (the line of ``key`` when found)."""
        line = _key_line(self.path, self.line, key) if key else self.line
        return f"{self.path}:{line}: scenario {self.name!r}"


@attrs.frozen
class ScenarioResult:
    """How a scenario went: ``passed``, ``failed`` (an expectation not met) or ``error``
    (the scenario itself is wrong), with one located line per message."""

    scenario: Scenario
    outcome: str
    messages: tuple[str, ...] = ()
    advice: Advice | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def passed(self) -> bool:
        """True when every expectation was met."""
        return self.outcome == "passed"


# --- reading ------------------------------------------------------------------------------

def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    """Scenario files named, or found (``**/*.toml``) in the folders named, in order."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.toml") if p.is_file())
        else:
            files.append(path)
    return files


def load_scenarios(path: str | Path) -> list[Scenario]:
    """The scenarios of one file. A file that cannot be read gives one scenario, named after
    the file, holding the problem."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        return [Scenario(file, file.stem, 1, problems=(f"{file}: cannot read: {exc}",))]
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+)", str(exc))
        line = int(match[1]) if match else 1
        message = str(exc).split(" (at", maxsplit=1)[0]
        return [Scenario(file, file.stem, line, problems=(f"{file}:{line}: invalid TOML: "
                                                          f"{message}",))]
    if "scenario" not in data:
        return [_scenario(file, data, file.stem, 1)]
    entries = data["scenario"]
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return [Scenario(file, file.stem, 1, problems=(
            f"{file}: 'scenario' must be [[scenario]] tables",))]
    defaults = {k: v for k, v in data.items() if k != "scenario" and k not in FILE_ONLY}
    headers = _headers(text)
    scenarios = [_scenario(file, _merge(defaults, entry), f"scenario {i}",
                           headers[i - 1] if i <= len(headers) else 1)
                 for i, entry in enumerate(entries, 1)]
    return _check_names(scenarios)


def _headers(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1)
            if re.match(r"\s*\[\[\s*scenario\s*\]\]", line)]


def _key_line(path: Path, start: int, key: str) -> int:
    """The line of ``key =`` (or ``key.``) in the scenario starting at ``start``, else in
    the file's shared part before the first ``[[scenario]]``, else ``start``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return start
    pattern = re.compile(rf"\s*{re.escape(key)}\s*[=.]")
    header = re.compile(r"\s*\[\[\s*scenario\s*\]\]")
    for first in (start, 1):
        for number in range(first, len(lines) + 1):
            line = lines[number - 1]
            if number > first and header.match(line):
                break
            if pattern.match(line):
                return number
    return start


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base``; the ``case`` tables merge section by section."""
    merged = dict(base)
    for key, value in over.items():
        if key == "case" and isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            case = {s: dict(v) if isinstance(v, Mapping) else v for s, v in base[key].items()}
            for section, facts in value.items():
                if isinstance(facts, Mapping) and isinstance(case.get(section), dict):
                    case[section].update(facts)
                else:
                    case[section] = facts
            merged[key] = case
        else:
            merged[key] = value
    return merged


def _scenario(file: Path, fields: dict[str, Any], default_name: str, line: int) -> Scenario:
    name = fields.get("name")
    name = name if isinstance(name, str) and name.strip() else default_name
    draft = Scenario(file, name, line, fields)
    problems = []
    allowed = [*FIELDS, "scenario"]
    for key, value in fields.items():
        if key not in FIELDS:
            hint = did_you_mean(key, allowed)
            problems.append(f"{draft.where(key)}: unknown field {key!r}"
                            + (f"; {hint}" if hint else f" (expected one of "
                                                        f"{', '.join(FIELDS)})"))
        elif not _well_typed(key, value):
            problems.append(f"{draft.where(key)}: {key} must be {FIELDS[key]} "
                            f"(found {_short(value)})")
    if not any(k.startswith("expect_") for k in fields if k in FIELDS):
        problems.append(f"{draft.where()}: asserts nothing: add at least one of "
                        + ", ".join(k for k in FIELDS if k.startswith("expect_")))
    if "case" not in fields and "case_file" not in fields:
        problems.append(f"{draft.where()}: no case: add case_file = \"...\" or [case.*] facts")
    return attrs.evolve(draft, problems=tuple(problems))


def _well_typed(key: str, value: Any) -> bool:
    if key in TEXTS:
        return isinstance(value, str)
    if key in LISTS:
        return isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value))
    if key == "as_of":
        return (isinstance(value, dt.date) and not isinstance(value, dt.datetime)) or (
            isinstance(value, str) and _date(value) is not None)
    if key == "rules":
        return isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value))
    if key in ("replace_rules", "actual_family_verified"):
        return isinstance(value, bool)
    if key == "expect_family_rank":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1
    if key == "sources":
        return isinstance(value, list) and all(
            isinstance(v, Mapping) and isinstance(v.get("url"), str)
            and isinstance(v.get("title"), str) for v in value)
    return isinstance(value, Mapping)  # case, expect_derived


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_names(scenarios: list[Scenario]) -> list[Scenario]:
    seen: set[str] = set()
    checked = []
    for scenario in scenarios:
        if scenario.name in seen:
            twice = (f"{scenario.where('name')}: the name is used twice in this file; give "
                     "each scenario its own name")
            checked.append(attrs.evolve(scenario, problems=(*scenario.problems, twice)))
        else:
            checked.append(scenario)
        seen.add(scenario.name)
    return checked


# --- running ------------------------------------------------------------------------------

@cache
def _pack(paths: tuple[str, ...], builtin: bool) -> Pack:
    return load_rules(*paths, builtin=builtin)


def _listed(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return list(value) if isinstance(value, list) else []


def _scenario_pack(scenario: Scenario, default: Pack | None) -> Pack:
    fields = scenario.fields
    if "rules" not in fields:
        return default if default is not None else builtin_pack()
    paths = tuple(str((scenario.path.parent / p).resolve()) for p in _listed(fields["rules"]))
    return _pack(paths, not fields.get("replace_rules", False))


def _case(scenario: Scenario) -> dict[str, Any]:
    fields = scenario.fields
    data: dict[str, Any] = {}
    if "case_file" in fields:
        data = case_to_dict(load_case(scenario.path.parent / fields["case_file"]))
    merged: dict[str, Any] = _merge({"case": data}, {"case": fields.get("case", {})})["case"]
    return merged


def run_scenario(scenario: Scenario, rules: Pack | None = None) -> ScenarioResult:
    """Run one scenario; ``rules`` is the pack for scenarios that do not name their own
    (default: the built-in pack)."""
    if scenario.problems:
        return ScenarioResult(scenario, "error", scenario.problems)
    try:
        pack = _scenario_pack(scenario, rules)
        problems = _reference_problems(scenario, pack)
        if problems:
            return ScenarioResult(scenario, "error", tuple(problems))
        case = case_from_dict(_case(scenario), source=str(scenario.path))
        advice = advise(case, as_of=scenario.fields.get("as_of"), rules=pack)
    except ProblemsError as exc:  # the case or the scenario's rules: one line a problem
        own = str(scenario.path)
        return ScenarioResult(scenario, "error", tuple(
            f"{scenario.where()}: {attrs.evolve(p, source='') if p.source == own else p}"
            for p in exc.problems))
    except FormselectError as exc:
        return ScenarioResult(scenario, "error", (f"{scenario.where()}: {exc}",))
    failures = [f"{scenario.where(key)}: {message}"
                for key, message in _compare(scenario.fields, advice)]
    return ScenarioResult(scenario, "failed" if failures else "passed", tuple(failures),
                          advice)


def run_scenarios(paths: Iterable[str | Path], rules: Pack | None = None) -> list[ScenarioResult]:
    """Run every scenario of the files and folders named, in order."""
    return [run_scenario(s, rules) for f in scenario_files(paths) for s in load_scenarios(f)]


def _reference_problems(scenario: Scenario, pack: Pack) -> list[str]:
    """Expectations that name something the pack does not have, or contradict each other."""
    fields = scenario.fields
    forms = [o.id for o in pack.forms]
    routes = [o.id for o in pack.routes]
    rules = [r.id for r in pack.rules]
    risky = [r.id for r in pack.rules if r.risk is not None]
    severities = [s.value for s in Severity]
    derived = [d.name for d in pack.derived]
    problems: list[str] = []

    def check(key: str, value: str, allowed: Sequence[str], what: str) -> None:
        if value not in allowed:
            hint = did_you_mean(value, allowed)
            problems.append(f"{scenario.where(key)}: {key}: {value!r} is not {what} of "
                            f"{pack.name}" + (f"; {hint}" if hint else ""))

    if "expect_status" in fields:
        check("expect_status", fields["expect_status"], [s.value for s in Status], "a status")
        if "expect_form" in fields and fields["expect_status"] not in (Status.RECOMMENDED,
                                                                       Status.TIE):
            problems.append(f"{scenario.where('expect_form')}: expect_form needs "
                            "expect_status = \"recommended\" or \"tie\" (or no "
                            "expect_status)")
    if "actual_form" in fields:
        check("actual_form", fields["actual_form"], forms, "a form")
    if "actual_form_confidence" in fields:
        check("actual_form_confidence", fields["actual_form_confidence"], CONFIDENCES,
              "a confidence")
    if "expect_family_rank" in fields and "actual_form" not in fields:
        problems.append(f"{scenario.where('expect_family_rank')}: expect_family_rank needs "
                        "actual_form (the form whose family is ranked)")
    if "expect_form" in fields:
        check("expect_form", fields["expect_form"], forms, "a form")
    if "expect_route" in fields:
        check("expect_route", fields["expect_route"], [*routes, NO_ROUTE], "a route")
    for key in ("expect_fired", "expect_not_fired"):
        for rule_id in _listed(fields.get(key)):
            check(key, rule_id, rules, "a rule")
    for key in ("expect_risks", "expect_no_risks"):
        for item in _listed(fields.get(key)):
            if item in rules and item not in risky:
                problems.append(f"{scenario.where(key)}: {key}: rule {item!r} flags no risk")
            elif item not in severities:
                check(key, item, [*severities, *risky], "a severity or a risk rule")
    for option in _listed(fields.get("expect_excluded")):
        check("expect_excluded", option, [*forms, *routes], "a form or route")
    for name in fields.get("expect_derived", {}):
        check("expect_derived", str(name), derived, "a derived fact")
    for first, second in (("expect_fired", "expect_not_fired"),
                          ("expect_risks", "expect_no_risks")):
        both = set(_listed(fields.get(first))) & set(_listed(fields.get(second)))
        if both:
            problems.append(f"{scenario.where(second)}: {', '.join(sorted(both))} in both "
                            f"{first} and {second}")
    return problems


# --- comparing ----------------------------------------------------------------------------

def _compare(fields: Mapping[str, Any], advice: Advice) -> list[tuple[str, str]]:
    """(field, message) for every expectation the advice does not meet."""
    failures: list[tuple[str, str]] = []
    status = advice.status.value
    if "expect_status" in fields and fields["expect_status"] != status:
        failures.append(("expect_status", f"expected status {fields['expect_status']!r}, "
                                          f"got {status!r}{_outcome(advice)}"))
    if "expect_form" in fields and advice.recommended != fields["expect_form"]:
        form = fields["expect_form"]
        got = repr(advice.recommended) if advice.recommended else f"no form (status {status})"
        failures.append(("expect_form", f"expected form {form!r}, got {got}; "
                                        + _standings(advice, form)))
    if "expect_route" in fields:
        failures += _route(fields["expect_route"], advice)
    fired = set(advice.fired)
    for rule_id in _listed(fields.get("expect_fired")):
        if rule_id not in fired:
            failures.append(("expect_fired", f"expected rule {rule_id} to fire; "
                                             + _why_not(advice, rule_id)))
    for rule_id in _listed(fields.get("expect_not_fired")):
        if rule_id in fired:
            failures.append(("expect_not_fired", f"expected rule {rule_id} not to fire, "
                                                 "but it fired"))
    flagged = [f"{r.rule_id}:{r.severity}" for r in advice.risks]
    for item in _listed(fields.get("expect_risks")):
        if not _has_risk(advice, item):
            failures.append(("expect_risks", f"expected risk {item!r}, got "
                                             f"{', '.join(flagged) or 'no risks'}"))
    for item in _listed(fields.get("expect_no_risks")):
        if _has_risk(advice, item):
            failures.append(("expect_no_risks", f"expected no risk {item!r}, got "
                                                f"{', '.join(flagged)}"))
    for option in _listed(fields.get("expect_excluded")):
        if not _excluded(advice, option):
            failures.append(("expect_excluded", f"expected {option!r} to be ruled out; "
                                                f"{_option_state(advice, option)}"))
    if "expect_family_rank" in fields:
        rank = family_rank(advice, str(fields["actual_form"]))
        if rank != fields["expect_family_rank"]:
            got = f"ranks {rank}" if rank else "is not among the viable forms"
            failures.append(("expect_family_rank", f"expected the family of "
                             f"{fields['actual_form']!r} to rank {fields['expect_family_rank']}"
                             f", but it {got}; families in order: "
                             f"{', '.join(families(advice)) or 'none'}"))
    for name, expected in fields.get("expect_derived", {}).items():
        actual = advice.derived.get(str(name))
        if not _same(expected, actual):
            got = "unknown (no rule derived it)" if actual is None else repr(actual)
            failures.append(("expect_derived", f"expected derived fact {name} = "
                                               f"{expected!r}, got {got}"))
    return failures


def _family(advice: Advice, form_id: str) -> str:
    option = advice.pack.options.get(form_id) if advice.pack is not None else None
    return option.family if option is not None and option.family else form_id


def families(advice: Advice) -> list[str]:
    """The families of the forms not ruled out, best ranked first, each once."""
    found: list[str] = []
    for option in advice.ranking:
        family = _family(advice, option.id)
        if option.status is not FormStatus.EXCLUDED and family not in found:
            found.append(family)
    return found


def family_rank(advice: Advice, form_id: str) -> int | None:
    """Where a form's family ranks among the families of the viable forms (1 = top), or
    None when every form of the family is ruled out."""
    ranked = families(advice)
    family = _family(advice, form_id)
    return ranked.index(family) + 1 if family in ranked else None


def _outcome(advice: Advice) -> str:
    if advice.recommended:
        return f" (form {advice.recommended!r})"
    tied = [o.id for o in advice.ranking if o.status is FormStatus.TIED]
    return f" ({', '.join(tied)} tied)" if tied else ""


def _standings(advice: Advice, form: str) -> str:
    """How the expected form and the leader stand, and why."""
    parts = []
    for option in advice.ranking:
        if option.id == form or option.status in (FormStatus.RECOMMENDED, FormStatus.TIED):
            why = (f"ruled out by {', '.join(option.excluded_by)}" if option.excluded_by
                   else f"favoured by {', '.join(option.favoured_by) or 'no rule'}")
            parts.append(f"{option.id}: score {option.score}, {option.status}, {why}")
    return "; ".join(parts)


def _route(expected: str, advice: Advice) -> list[tuple[str, str]]:
    actual = advice.procurement.recommended_route
    want = None if expected == NO_ROUTE and NO_ROUTE not in [
        r.id for r in advice.procurement.routes] else expected
    if actual == want:
        return []
    got = repr(actual) if actual else "no route"
    detail = ""
    if want is not None:
        route = advice.procurement.route(want)
        detail = f"; {want} is {route.status}" + (
            f" (ruled out by {', '.join(route.excluded_by)})" if route.excluded_by else "")
        if route.status in (RouteStatus.AVAILABLE, RouteStatus.AVAILABLE_WITH_RISK) \
                and not route.compatible:
            detail += ", but cannot serve the recommended form"
    return [("expect_route", f"expected route {expected!r}, got {got}{detail}")]


def _why_not(advice: Advice, rule_id: str) -> str:
    step = advice.step(rule_id)
    if step.outcome is Outcome.NOT_IN_FORCE:
        until = step.valid_until.isoformat() if step.valid_until else "open"
        return (f"it is not in force on {advice.as_of.isoformat()} "
                f"(in force {step.valid_from.isoformat()} to {until})")
    unknown = [t.fact for t in step.tests if t.value is None and t.result is None]
    if step.outcome is Outcome.UNKNOWN and unknown:
        return f"it did not fire because these facts are unknown: {', '.join(unknown)}"
    failed = [f"{t.test} is false ({t.fact} = {t.value!r})" for t in step.tests
              if t.result is False]
    return "its condition is false: " + ("; ".join(failed) or step.when)


def _has_risk(advice: Advice, item: str) -> bool:
    return any(item in (r.rule_id, r.severity.value) for r in advice.risks)


def _excluded(advice: Advice, option: str) -> bool:
    for form in advice.ranking:
        if form.id == option:
            return form.status is FormStatus.EXCLUDED
    for route in advice.procurement.routes:
        if route.id == option:
            return route.status is RouteStatus.NOT_AVAILABLE
    return False


def _option_state(advice: Advice, option: str) -> str:
    for form in advice.ranking:
        if form.id == option:
            return f"it is {form.status}"
    for route in advice.procurement.routes:
        if route.id == option:
            return f"it is {route.status}"
    return "it is not in the advice"


def _same(expected: object, actual: object) -> bool:
    if expected == UNKNOWN:
        return actual is None
    numbers = (int, float)
    if isinstance(expected, numbers) and isinstance(actual, numbers) \
            and not isinstance(expected, bool) and not isinstance(actual, bool):
        return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)
    return expected == actual
