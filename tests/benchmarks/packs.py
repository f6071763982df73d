"""Generated rule packs for the scaling benchmark, shaped like the rules real packs grow by.

Real packs grow by *selective* rules: one classification rule per CPV code, per threshold
revision, per kind of public body. Each such rule fires for few cases, so a bigger pack
means more rules to match, not many more firings per case. (CPV codes themselves cannot be
tested by a condition — ``service.cpv_codes`` only supports ``is known`` — so the selectivity
of a CPV table is reproduced with combinations of the facts that can be tested.)

A pack of exactly ``n`` rules is written as TOML files of at most 100 rules each (real packs
are split by topic; the loader's per-rule cost also grows with the size of the file) next to
a copy of the built-in ``options.toml`` (the real forms and routes), the built-in form
properties (``properties.toml``) and a ``pack.toml``.
Every rule is valid against the real fact vocabulary. The mix:

* a fixed core of 6 derivation pairs (a boolean fact derived true and false, both ways, like
  rules/common.toml) and the rules reading them;
* 80% selective classification rules, ``service.categories contains "it_services" and
  service.parent_body == "council" and service.jurisdiction == "england" and
  procurement.planned_route == "competition"`` (about 1 case in 5,000 matches each) or with a
  value band and validity window (two-year threshold periods), favouring a route;
* 10% stratum-0 derivations of classification facts (true only; at most 30 such facts, so
  a big pack derives each from many rules: derived facts stay few, as in real packs);
* 6% stratum-1 rules reading those facts (effects on forms, and derivations of at most 12
  facts);
* 4% stratum-2 effects reading stratum-1 facts (steps and risks on routes).

Operators used: contains, contains any, in, not in, ==, !=, <, >=, >, is known, is unknown,
not, years_since(...), comparison with ``as_of``. The same seed gives the same pack.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import tomllib
from pathlib import Path

from formselect.case.vocabulary import case_facts
from formselect.pack.builtin import builtin_rules_dir

__all__ = ["RULES_PER_FILE", "write_pack"]

RULES_PER_FILE = 100
REFERENCE = ('references = [{ instrument = "Benchmark guidance (generated)", provision = '
             '"para {n}", url = "https://example.org/benchmark#{n}" }]')
PERIODS = [(dt.date(2006 + 2 * i, 1, 1), dt.date(2007 + 2 * i, 12, 31)) for i in range(13)]
# rules start on many dates, as a growing pack's do: formselect's loader keeps at most 400
# rules per (derivation depth, start date), because durable_rules' compiler hangs past ~512
OPEN_FROM = tuple(dt.date(2006 + i // 4, 1 + 3 * (i % 4), 1) for i in range(24))
THRESHOLDS = (106_047, 138_760, 139_688, 173_934, 213_477, 214_904, 589_148, 663_540,
              884_720, 5_336_937)
CORE_PAIRS = 6
MAX_CLASS_FACTS = 30
MAX_BAND_FACTS = 12


def _quote(items: list[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


class _Writer:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.facts: list[str] = []
        self.rules: list[str] = []
        options = tomllib.loads((builtin_rules_dir() / "options.toml").read_text("utf-8"))
        self.forms = [o["id"] for o in options.get("form", [])]
        self.routes = [o["id"] for o in options.get("route", [])]
        vocabulary = case_facts()
        self.values = {name: list(spec.values) for name, spec in vocabulary.items()}

    def pick(self, fact: str, k: int = 0) -> str:
        values = self.values[fact]
        return self.rng.choice(values) if k == 0 else _quote(self.rng.sample(values, k))

    def fact(self, name: str) -> None:
        self.facts.append(f'[[fact]]\nname = "{name}"\nkind = "bool"\n'
                          f'description = "Generated for the scaling benchmark."\n')

    def rule(self, when: str, effect: str, *, windowed: float = 0.0) -> None:
        n = len(self.rules) + 1
        if self.rng.random() < windowed:
            start, end = self.rng.choice(PERIODS)
            dates = f"valid_from = {start.isoformat()}\nvalid_until = {end.isoformat()}\n"
        else:
            start = self.rng.choice(OPEN_FROM)
            dates = f"valid_from = {start.isoformat()}\n"
        # an as_of test inside the rule's own validity (one outside could never hold)
        when = when.replace("AS_OF_FLOOR", (start + dt.timedelta(days=365)).isoformat())
        self.rules.append(
            f'[[rule]]\nid = "GEN-{n:05d}"\ntitle = "Generated rule {n}"\n'
            f"when = '{when}'\n{effect}\n"
            f'explanation = "A generated rule for the scaling benchmark."\n{dates}'
            + REFERENCE.replace("{n}", str(n)) + "\n")

    def favour(self, kind: str) -> str:
        option = self.rng.choice(self.routes if kind == "route" else self.forms[3:])
        return f"favour = {{ {option} = {self.rng.randint(1, 3)} }}"

    def risk(self) -> str:
        severity = self.rng.choice(("low", "medium", "high"))
        return (f'risk = {{ severity = "{severity}", mitigation = "Check it.", '
                f'applies_to = ["{self.rng.choice(self.routes)}"] }}')


def _core(w: _Writer) -> int:
    """Derivation pairs read both ways and the rules reading them: 4 rules per pair."""
    for k in range(CORE_PAIRS):
        w.fact(f"gen_core_{k}")
        pct = w.rng.choice((25, 50, 75))
        base = (f"ownership.employee_pct > {pct} or "
                f'ownership.board_control == "{w.pick("ownership.board_control")}"')
        w.rule(base, f"derive = {{ gen_core_{k} = true }}")
        w.rule(f"not ({base})", f"derive = {{ gen_core_{k} = false }}")
        w.rule(f"gen_core_{k} and money.asset_lock in {w.pick('money.asset_lock', 2)}",
               w.favour("form"))
        w.rule(f"not gen_core_{k} and years_since(procurement.prior_reserved_award_date) < 3",
               w.risk())
    return 4 * CORE_PAIRS


def _classification(w: _Writer) -> None:
    rng = w.rng
    category = w.pick("service.categories")
    if rng.random() < 0.7:  # a CPV-like table row: category x body x nation x route
        when = (f'service.categories contains "{category}" and '
                f'service.parent_body == "{w.pick("service.parent_body")}" and '
                f'service.jurisdiction == "{w.pick("service.jurisdiction")}" and '
                f'procurement.planned_route == "{w.pick("procurement.planned_route")}"')
        w.rule(when, w.favour("route"))
        return
    low, high = sorted(rng.sample(THRESHOLDS, 2))  # a threshold band for one period
    when = (f'service.categories contains "{category}" and '
            f'service.parent_body == "{w.pick("service.parent_body")}" and '
            f"procurement.value_gbp_inc_vat >= {low} and "
            f"procurement.value_gbp_inc_vat < {high} and "
            f'service.jurisdiction != "{w.pick("service.jurisdiction")}"')
    if rng.random() < 0.2:
        when += " and procurement.likely_challengers is unknown and as_of >= AS_OF_FLOOR"
    w.rule(when, w.favour("route"), windowed=1.0)


def write_pack(folder: Path, n: int, seed: int = 11) -> Path:
    """Write a pack of exactly ``n`` rules (n >= 40) into ``folder``; returns the folder."""
    if n < 40:
        raise ValueError("a generated pack needs at least 40 rules")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(builtin_rules_dir() / "options.toml", folder / "options.toml")
    # the forms' properties refer to these declarations (no rules: they only describe forms)
    shutil.copy(builtin_rules_dir() / "forms" / "properties.toml", folder / "properties.toml")
    (folder / "pack.toml").write_text(
        f'[pack]\nname = "bench-{n}"\nversion = "0"\n', encoding="utf-8")
    w = _Writer(seed)
    rng = w.rng
    rest = n - _core(w)
    # derived facts are few in real packs (and the engine caps the keys of a fact at 255)
    derivations = max(2, rest * 10 // 100)  # 10% of rules
    classes_facts = min(MAX_CLASS_FACTS, derivations // 2)
    bands = min(MAX_BAND_FACTS, max(1, rest * 2 // 100))  # stratum-1 derived facts
    effects1 = max(1, rest * 6 // 100) - bands
    effects2 = max(1, rest * 4 // 100)
    classes = rest - derivations - bands - effects1 - effects2

    for _ in range(classes):
        _classification(w)
    for k in range(classes_facts):
        w.fact(f"gen_class_{k}")
    for i in range(derivations):  # stratum 0: selective classification facts
        when = (f"service.categories contains any {w.pick('service.categories', 2)} and "
                f"service.parent_body in {w.pick('service.parent_body', 2)} and "
                f"procurement.planned_route not in {w.pick('procurement.planned_route', 6)}")
        w.rule(when, f"derive = {{ gen_class_{i % classes_facts} = true }}")
    for k in range(bands):  # stratum 1: derived from a stratum-0 fact
        w.fact(f"gen_band_{k}")
        when = (f"gen_class_{rng.randrange(classes_facts)} and "
                f"procurement.likely_challengers < {rng.choice((2, 3, 5, 10))}")
        w.rule(when, f"derive = {{ gen_band_{k} = true }}")
    for _ in range(effects1):  # stratum 1: effects
        # exclusions and favours name disjoint forms: the loader rejects a rule that
        # excludes what another favours under the same condition
        effect = (f'exclude = ["{rng.choice(w.forms[:3])}"]' if rng.random() < 0.1
                  else w.risk() if rng.random() < 0.3 else w.favour("form"))
        when = (f"gen_class_{rng.randrange(classes_facts)} and "
                f"ownership.employee_pct > {rng.choice((25, 50, 75))}")
        w.rule(when, effect, windowed=0.2)
    for _ in range(effects2):  # stratum 2: steps and risks on routes
        route = rng.choice(w.routes)
        effect = (f'step = {{ text = "Generated step.", order = {rng.randint(1, 99)}, '
                  f'applies_to = ["{route}"] }}' if rng.random() < 0.5 else w.risk())
        when = (f"gen_band_{rng.randrange(bands)} and transfer.staff_transfer and "
                "procurement.start_date is known")
        w.rule(when, effect, windowed=0.2)

    assert len(w.rules) == n, (len(w.rules), n)
    (folder / "facts.toml").write_text("\n".join(w.facts), encoding="utf-8")
    for start in range(0, n, RULES_PER_FILE):
        chunk = w.rules[start:start + RULES_PER_FILE]
        name = f"rules_{start // RULES_PER_FILE:03d}.toml"
        (folder / name).write_text("\n".join(chunk), encoding="utf-8")
    return folder
