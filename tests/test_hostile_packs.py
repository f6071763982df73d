"""Hostile rule packs: rule files are data, whoever wrote them.

Every hostile construct is rejected with its file, its location and a message, or (for text
that is merely odd) loaded and shown exactly as written, never run:

* conditions that try to reach Python (imports, attribute access, dunder names, calls,
  format strings), which the tokenizer and parser refuse, and an audit-hook proof that
  loading and advising on hostile packs executes no code;
* nesting beyond ``conditions.MAX_DEPTH``, files beyond ``pack_io.MAX_FILE_BYTES``, packs
  beyond ``pack_io.MAX_RULES`` / ``MAX_FACT_KEYS`` and the engine-shape limits of
  ``pack_check``;
* duplicate ids across files, derivation cycles across files, rules that can never fire,
  contradictory exclude / favour pairs across files;
* attempts to compare a fact with a fact (a cross-fact join, which crashes durable_rules):
  the language cannot express one, and every compiled pattern is a single-fact pattern;
* random bytes, unicode and TOML-shaped garbage, as a rule file or as a condition, never
  raise anything but :class:`RulePackError`.

Constructs that crash durable_rules when run naively (more alternatives true at once than
its stack holds) evaluate safely, cut into stages, or are refused when the pack loads.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formselect import advice_to_json, advise, render_html, render_markdown, render_text
from formselect.case.vocabulary import case_facts
from formselect.conditions.syntax import MAX_DEPTH, Compare, ConditionSyntaxError, atoms, parse
from formselect.engine import Backend, evaluate
from formselect.engine import durable as _durable
from formselect.engine.durable import (
    MAX_FACT_KEYS,
    MAX_IDENTICAL_PATTERNS,
    MAX_RULES,
    MAX_RULES_PER_NODE,
    engine_keys_needed,
)
from formselect.errors import Problem, RulePackError
from formselect.pack.load import MAX_FILE_BYTES, load_pack
from formselect.pack.model import Pack

from .conftest import AVAILABLE_BACKENDS, BACKEND_PARAMS, REPO, TESTS
from .strategies import cases, typed_conditions

HOSTILE = TESTS / "hostile_packs"
DAY = dt.date(2021, 1, 1)
REFERENCE = 'references = [{ instrument = "Guide", provision = "p", url = "https://example.org/" }]'


class NotRejected(AssertionError):
    """A hostile pack loaded although it should have been refused."""


def rejection(path: Path) -> RulePackError:
    """The RulePackError that loading ``path`` raises; NotRejected if the pack loads."""
    try:
        load_pack(path)
    except RulePackError as error:
        return error
    raise NotRejected(f"{path} loaded")


def short(problem: Problem) -> tuple[str, str, str, str]:
    """(source relative to tests/hostile_packs or the tmp folder, where, rule, message)."""
    source = re.sub(r"^.*?/(hostile_packs|pack\d*)/", "", problem.source)
    return source, problem.where, problem.rule, problem.message


def load_raw(path: Path) -> dict[str, Any]:
    """A TOML file as plain data (to compare problems with what the file holds)."""
    return tomllib.loads(path.read_text("utf-8"))


def rule_lines(path: Path) -> list[int]:
    """The line number of each ``[[rule]]`` header of a file (where a rule's problems point)."""
    return [n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
            if line.strip() == "[[rule]]"]


def rule_toml(rule_id: str, when: str, effect: str = "favour = { alpha = 1 }",
              valid_from: str = "2000-01-01", extra: str = "") -> str:
    """One [[rule]] table with boilerplate fields; ``when`` is written as a TOML string."""
    return (f'\n[[rule]]\nid = "{rule_id}"\ntitle = "Rule {rule_id}"\n'
            f"{tomli_w.dumps({'when': when})}{effect}\nexplanation = \"Test.\"\n"
            f"valid_from = {valid_from}\n{extra}{REFERENCE}\n")


FORMS = '[[form]]\nid = "alpha"\nname = "Alpha"\n\n[[form]]\nid = "beta"\nname = "Beta"\n'


def write_pack(folder: Path, body: str, name: str = "rules.toml") -> Path:
    """A one-file pack (forms alpha and beta plus ``body``) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(FORMS + body, encoding="utf-8")
    return folder


# --- conditions that try to reach Python ---------------------------------------------------

PYTHON_REACH = [  # rule id, column, message: every one refused where it is written
    ("PY-IMPORT", 1, "names may not contain '__' ('__import__')"),
    ("PY-DUNDER-ATTR", 1, "names may not contain '__' ('money.__class__')"),
    ("PY-ATTR-CHAIN", 24, "unexpected character '.'"),
    ("PY-SUBCLASSES", 3, "unexpected character '.'"),
    ("PY-EVAL", 5, "expected 'and', 'or' or the end of the condition, found '('"),
    ("PY-EXEC", 5, "expected 'and', 'or' or the end of the condition, found '('"),
    ("PY-OPEN", 20, "unexpected character '.'"),
    ("PY-LAMBDA", 7, "unexpected character ':'"),
    ("PY-ATTR", 24, "unexpected character '.'"),
    ("PY-CALL-IN-VALUE", 23, "expected a value, found 'len'"),
    ("PY-COMPREHENSION", 1, "expected a fact name, found '['"),
    ("PY-GETATTR", 8, "expected 'and', 'or' or the end of the condition, found '('"),
    ("PY-OS-SYSTEM", 10, "expected 'and', 'or' or the end of the condition, found '('"),
    ("PY-IMPORT-STMT", 8, "expected 'and', 'or' or the end of the condition, found 'os'"),
    ("PY-SEMICOLON", 24, "unexpected character ';'"),
    ("PY-NEWLINE", 25, "names may not contain '__' ('__import__')"),
    ("PY-TERNARY", 25, "expected 'and', 'or' or the end of the condition, found 'if'"),
    ("PY-SUBSCRIPT", 19, "expected 'and', 'or' or the end of the condition, found '['"),
    ("PY-BUILTINS", 28, "names may not contain '__' ('__builtins__')"),
    ("PY-UNDERSCORE", 1, "names may not contain '__' ('_.__class__')"),
    ("PY-DICT", 1, "names may not contain '__' ('money.__dict__')"),
    ("PY-GLOBALS", 1, "names may not contain '__' ('service.__init__')"),
    ("PY-BACKTICK", 28, "unexpected character '`'"),
    ("PY-ENGINE-JSON", 1, "unexpected character '{'"),
    ("PY-FSTRING", 21, "expected a value, found 'f'"),
    ("PY-FORMAT-LITERAL", 1, "\"{0.__class__.__mro__}\" is not a value of 'money.asset_lock'"),
    ("PY-PERCENT-FORMAT", 26, "unexpected character '%'"),
    ("PY-EXPONENT", 23, "unexpected character '1'"),
    ("PY-HEX", 23, "unexpected character '0'"),
    ("PY-TRUE", 28, "expected a value, found 'True'"),
    ("PY-NONE", 28, "expected a value, found 'None'"),
    ("PY-NUL", 28, "unexpected character '\\x00'"),
    ("PY-MATMUL", 21, "unexpected character '@'"),
    ("PY-POWER", 21, "unexpected character '*'"),
    ("PY-DURABLE-JOIN", 19, "unexpected character '.'"),
    ("PY-DURABLE-REF", 1, "unexpected character '$'"),
    ("PY-BREAKPOINT", 11, "expected 'and', 'or' or the end of the condition, found '('"),
    ("PY-GLOBALS-CALL", 8, "expected 'and', 'or' or the end of the condition, found '('"),
]

TYPE_ERROR_FOUND = {"PY-FORMAT-LITERAL": '"{0.__class__.__mro__}"'}


@pytest.fixture(scope="module")
def python_reach() -> dict[str, Problem]:
    """The problems of the python_reach pack, by rule id (one problem per rule)."""
    problems = rejection(HOSTILE / "python_reach").problems
    by_rule = {p.rule: p for p in problems}
    assert len(by_rule) == len(problems)
    return by_rule


class TestPythonReach:
    """Conditions written to reach Python are refused by the condition language itself."""

    @pytest.mark.parametrize(("rule_id", "column", "message"), PYTHON_REACH)
    def test_refused_where_written(self, python_reach: dict[str, Problem], rule_id: str,
                                   column: int, message: str) -> None:
        """Each hostile condition is one problem: its file and line, rule, column and why."""
        path = HOSTILE / "python_reach" / "rules.toml"
        index = [r for r, _, _ in PYTHON_REACH].index(rule_id)
        problem = python_reach[rule_id]
        written = load_raw(path)["rule"][index]["when"]

        assert (f"{path}:{rule_lines(path)[index]}", f"$.rule[{index}].when (column {column})",
                message) == (problem.source, problem.where, problem.message)
        # a syntax error shows the whole condition; a type error the offending literal
        assert TYPE_ERROR_FOUND.get(rule_id, written) == problem.found

    def test_every_rule_of_the_file_is_refused(self, python_reach: dict[str, Problem]) -> None:
        """The file holds exactly the rules listed above, each refused, all in one pass."""
        rules = load_raw(HOSTILE / "python_reach" / "rules.toml")["rule"]

        assert [r["id"] for r in rules] == [r for r, _, _ in PYTHON_REACH] == list(python_reach)

    def test_compiled_source_holds_no_rule_text(self, builtin_pack: Pack) -> None:
        """The compiled conditions' source is made of generated names, rule positions,
        operators and keywords only: no fact name, value or other text of a rule file."""
        allowed = re.compile(r"def|if|and|or|not|in|is|None|return|out|add|append|view|day|"
                             r"get|g|x|stratum_\d+|definitely_false|_v\d+|\d+|:=|==|!=|<=|>=|"
                             r"[<>=().:,\[\]]")
        for pack in (builtin_pack, load_pack(HOSTILE / "format_strings")):
            source = pack.program.source
            tokens = re.findall(r"\w+|:=|==|!=|<=|>=|\S", source)

            assert [] == [t for t in tokens if not allowed.fullmatch(t)]
            assert "ownership" not in source

    def test_no_code_runs(self) -> None:
        """Loading every hostile pack, and advising and rendering with the one that loads,
        executes no Python source and starts no process (checked by an audit hook)."""
        script = textwrap.dedent(f"""
            import json, sys
            from pathlib import Path
            import formselect
            from formselect import advise, advice_to_json, render_html, render_markdown
            from formselect import render_text
            from formselect.conditions.compiled import SOURCE_NAME
            from formselect.pack.load import load_pack

            hostile = Path({str(HOSTILE)!r})
            case = {{"money": {{"charitable_status": True}}}}

            def exercise():
                for folder in sorted(p for p in hostile.iterdir() if p.is_dir()):
                    try:
                        load_pack(folder)
                    except BaseException:
                        pass
                pack = load_pack(hostile / "format_strings")
                for backend in {[str(b) for b in AVAILABLE_BACKENDS]!r}:
                    advice = advise(case, "2021-01-01", rules=pack, backend=backend)
                    advice_to_json(advice)
                    render_text(advice); render_markdown(advice)
                    render_html(advice, depth="full")

            exercise()  # every lazy import happens here, before the hook
            seen = []
            code_events = {{"exec", "compile"}}
            process_events = {{"os.system", "os.exec", "os.posix_spawn", "os.spawn",
                              "os.fork", "os.forkpty", "subprocess.Popen", "pty.spawn",
                              "ctypes.dlopen", "ctypes.dlsym", "socket.connect",
                              "pickle.find_class", "marshal.loads", "builtins.input",
                              "webbrowser.open", "os.startfile"}}

            def hook(event, args):
                if event in process_events:
                    seen.append(event)
                elif event in code_events:
                    name = getattr(args[0], "co_filename", None) if event == "exec" \\
                        else args[1]
                    # source that is not a module; the compiled conditions are generated
                    # from the parsed conditions, with no text from the rule file in them
                    # (test_compiled_source_holds_no_rule_text)
                    if not str(name).endswith(".py") and name != SOURCE_NAME:
                        seen.append(f"{{event}} {{name}}")
                elif event == "open" and isinstance(args[0], str):
                    path = args[0]
                    allowed = (str(hostile), sys.prefix, sys.base_prefix,
                               str(Path(formselect.__file__).parent), "/proc/self/")
                    if not path.startswith(allowed):
                        seen.append(f"open {{path}}")

            sys.addaudithook(hook)
            exercise()
            during = list(seen)
            eval(compile("1 + 1", "<control>", "eval"))  # the hook does see code and processes
            import os; os.system("true")
            print(json.dumps([during, seen[len(during):]]))
        """)
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                timeout=120, cwd=REPO, check=False)

        assert 0 == result.returncode, result.stderr[-2000:]
        during, control = json.loads(result.stdout.strip().splitlines()[-1])
        assert [] == during
        assert {"compile <control>", "os.system"} <= set(control)


# --- text that is odd but harmless: shown as written ----------------------------------------

@pytest.fixture(scope="module")
def format_pack() -> Pack:
    """The format_strings pack (it is valid and loads)."""
    return load_pack(HOSTILE / "format_strings")


class TestFormatStrings:
    """Rule text with format strings, markup and escapes is data: never formatted or run."""

    @pytest.mark.parametrize("backend", BACKEND_PARAMS)
    def test_format_string_values_compare_as_text(self, format_pack: Pack,
                                                    backend: Backend) -> None:
        """A derived enum value that looks like a format string is compared literally."""
        case = advise({"money": {"charitable_status": True}}, DAY, rules=format_pack,
                      backend=backend)

        assert {"FMT-DERIVE", "FMT-READ", "FMT-ROUTE"} == set(case.fired)
        assert {"label": "{0.__class__.__init__.__globals__}"} == dict(case.derived)

    def test_text_is_shown_exactly_as_written(self, format_pack: Pack) -> None:
        """Text and JSON carry the rule text verbatim, braces and percents kept; Markdown
        too, with HTML's special characters as entities (shown, never run)."""
        advice = advise({"money": {"charitable_status": True}}, DAY, rules=format_pack)
        outputs = {"text": render_text(advice), "markdown": render_markdown(advice),
                   "json": json.loads(advice_to_json(advice))}
        written = ["Alpha {0.__class__.__mro__} <b>bold</b>",
                   "Mitigate {0.__dict__} %(x)s <script>x</script>",
                   "Step {step} %(n)d <b>x</b>"]

        assert [] == [w for w in written if w not in outputs["text"]]
        shown = [w.replace("<", "&lt;").replace(">", "&gt;") for w in written]
        assert [] == [w for w in shown if w not in outputs["markdown"]]
        assert "<b>" not in outputs["markdown"]
        assert [] == [w for w in written if w not in json.dumps(outputs["json"],
                                                                 ensure_ascii=False)]

    def test_html_escapes_rule_text(self, format_pack: Pack) -> None:
        """The HTML report escapes every piece of rule text: no markup from a pack is live."""
        html = render_html(advise({"money": {"charitable_status": True}}, DAY,
                              rules=format_pack),
                           depth="full")

        assert "<script" not in html
        assert "<b>bold</b>" not in html
        assert "&lt;script&gt;x&lt;/script&gt;" in html
        assert "Alpha {0.__class__.__mro__} &lt;b&gt;bold&lt;/b&gt;" in html


# --- nesting, size and count limits -----------------------------------------------------------

def test_nesting_beyond_the_limit_is_refused() -> None:
    """Conditions nested 30 levels deep (parentheses, not, both, with or) are each refused
    at the column where the limit is crossed."""
    path = HOSTILE / "deep_nesting" / "rules.toml"
    lines = rule_lines(path)
    message = f"condition nested more than {MAX_DEPTH} levels deep"

    assert [
        (f"deep_nesting/rules.toml:{lines[0]}", "$.rule[0].when (column 25)", "NEST-PARENS",
         message),
        (f"deep_nesting/rules.toml:{lines[1]}", "$.rule[1].when (column 97)", "NEST-NOTS",
         message),
        (f"deep_nesting/rules.toml:{lines[2]}", "$.rule[2].when (column 61)", "NEST-MIXED",
         message),
        (f"deep_nesting/rules.toml:{lines[3]}", "$.rule[3].when (column 25)", "NEST-OR",
         message),
    ] == [short(p) for p in rejection(HOSTILE / "deep_nesting").problems]


class TestSizeLimits:
    """Files, packs and conditions beyond the documented limits are refused, with the limit."""

    def test_file_over_the_limit(self, tmp_path: Path) -> None:
        """A file one byte over MAX_FILE_BYTES is refused unread: size found and allowed."""
        path = tmp_path / "pack" / "big.toml"
        path.parent.mkdir()
        path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
        [problem] = rejection(path.parent).problems

        assert (str(path), "", "rule file too large", f"{MAX_FILE_BYTES + 1:,} bytes",
                f"at most {MAX_FILE_BYTES:,} bytes; split it") == (
                    problem.source, problem.where, problem.message, problem.found,
                    problem.expected)

    def test_file_at_the_limit_loads(self, tmp_path: Path) -> None:
        """A valid file of exactly MAX_FILE_BYTES (mostly one huge explanation) loads."""
        body = FORMS + rule_toml("BIG", "money.charitable_status").replace(
            'explanation = "Test."', 'explanation = """X"""')
        padding = MAX_FILE_BYTES - len(body.encode("utf-8"))
        path = write_pack(tmp_path / "pack", "")
        (path / "rules.toml").write_text(body.replace('"""X"""', '"""' + "x" * (padding + 1)
                                                      + '"""'), encoding="utf-8")

        assert MAX_FILE_BYTES == (path / "rules.toml").stat().st_size
        assert MAX_FILE_BYTES - 1_000 < len(load_pack(path).rule("BIG").explanation)

    def test_too_many_rules(self, tmp_path: Path) -> None:
        """MAX_RULES + 1 rules (spread over dates and files) are refused as too many."""
        per_date = MAX_RULES_PER_NODE // 2
        rules = [rule_toml(f"R{i}", f"service.staff_count > {i}",
                           valid_from=str(dt.date(2000, 1, 1) + dt.timedelta(i // per_date)))
                 for i in range(MAX_RULES + 1)]
        folder = write_pack(tmp_path / "pack", "", "forms.toml")
        for start in range(0, len(rules), 1_000):
            (folder / f"r{start:05d}.toml").write_text("".join(rules[start:start + 1_000]),
                                                       encoding="utf-8")
        [problem] = rejection(folder).problems

        assert ("too many rules", MAX_RULES + 1, f"at most {MAX_RULES:,}") == (
            problem.message, problem.found, problem.expected)

    def test_too_many_derived_facts(self, tmp_path: Path) -> None:
        """One derived fact more than the engine can carry is refused; one fewer loads."""
        allowed = MAX_FACT_KEYS - engine_keys_needed(0)
        facts = "".join(f'\n[[fact]]\nname = "f{i}"\nkind = "bool"\n' for i in range(allowed))
        assert load_pack(write_pack(tmp_path / "ok", facts)).derived

        [problem] = rejection(write_pack(tmp_path / "over", facts + '\n[[fact]]\nname = '
                                         '"one_more"\nkind = "bool"\n')).problems

        assert ("too many derived facts for the engine", allowed + 1) == (problem.message,
                                                                          problem.found)
        assert problem.expected.startswith(f"at most {allowed} derived facts")

    def test_too_many_rules_on_one_engine_node(self, tmp_path: Path) -> None:
        """More than MAX_RULES_PER_NODE rules of one stratum and start date are refused at
        the first one over, with the file and line."""
        body = "".join(rule_toml(f"N{i}", f"service.staff_count > {i}")
                       for i in range(MAX_RULES_PER_NODE + 1))
        path = write_pack(tmp_path / "pack", body)
        [problem] = rejection(path).problems
        line = rule_lines(path / "rules.toml")[MAX_RULES_PER_NODE]

        assert (f"rules.toml:{line}", f"$.rule[{MAX_RULES_PER_NODE}].valid_from",
                f"N{MAX_RULES_PER_NODE}", "too many rules start on the same date at the same "
                "derivation depth for the engine") == short(problem)

    def test_too_many_identical_patterns(self, tmp_path: Path) -> None:
        """More than MAX_IDENTICAL_PATTERNS rules with one condition and dates are refused."""
        body = "".join(rule_toml(f"I{i}", "money.charitable_status")
                       for i in range(MAX_IDENTICAL_PATTERNS + 1))
        path = write_pack(tmp_path / "pack", body)
        [problem] = rejection(path).problems

        assert (f"$.rule[{MAX_IDENTICAL_PATTERNS}].when", f"I{MAX_IDENTICAL_PATTERNS}",
                "too many rules with an identical condition and dates") == (
                    problem.where, problem.rule, problem.message)


# --- duplicates, cycles, never-firing rules and contradictions across files -----------------

def test_duplicate_ids_across_files() -> None:
    """A form, a derived fact and a rule id declared again in other files (one in a
    sub-folder) are each reported at the later declaration, naming the first file."""
    first = str(HOSTILE / "duplicate_ids" / "a_first.toml")
    problems = rejection(HOSTILE / "duplicate_ids").problems
    second = rule_lines(HOSTILE / "duplicate_ids" / "b_second.toml")[1]
    first_rule = rule_lines(HOSTILE / "duplicate_ids" / "a_first.toml")[0]

    assert [
        ("duplicate_ids/b_second.toml:2", "$.form[0].id", "", "form id declared twice"),
        ("duplicate_ids/b_second.toml:6", "$.fact[0].name", "", "derived fact declared twice"),
        (f"duplicate_ids/b_second.toml:{second}", "$.rule[1].id", "DUP-RULE",
         "rule id used twice"),
        ("duplicate_ids/sub/c_third.toml:2", "$.rule[0].id", "DUP-RULE", "rule id used twice"),
    ] == [short(p) for p in problems]
    assert [f"first declared in {first}:2", f"first declared in {first}:6",
            f"first used in {first}:{first_rule}", f"first used in {first}:{first_rule}"] == [
                p.suggestion for p in problems]


def test_duplicate_declarations_point_at_their_line() -> None:
    """Duplicate form and fact declarations carry file:line and name the first file."""
    problems = rejection(HOSTILE / "duplicate_ids").problems[:2]

    assert [p.source.endswith(("b_second.toml:2", "b_second.toml:6")) for p in problems] == [
        True, True]
    assert problems[1].suggestion.startswith("first declared in ")


def test_cycles_across_files() -> None:
    """A three-fact loop spanning two files and a rule reading what it derives are each
    reported once, with the loop spelt out."""
    lines = rule_lines(HOSTILE / "cycles" / "a_facts.toml")
    problems = rejection(HOSTILE / "cycles").problems
    message = "derived facts depend on each other in a cycle"

    assert [(f"cycles/a_facts.toml:{lines[0]}", "$.rule[0].derive", "CY-P", message),
            (f"cycles/a_facts.toml:{lines[1]}", "$.rule[1].derive", "CY-SELF", message)] == [
                short(p) for p in problems]
    assert ["CY-P -> CY-R -> CY-Q -> CY-P", "CY-SELF -> CY-SELF"] == [p.found for p in problems]


def test_contradiction_across_files() -> None:
    """Excluding and favouring alpha under the same condition (written differently: 'is',
    parentheses) in two files is reported at the later rule; CT-OLD / CT-NEW, never in
    force together, are not."""
    [problem] = rejection(HOSTILE / "contradictions").problems
    line = rule_lines(HOSTILE / "contradictions" / "b_favour.toml")[0]

    assert (f"contradictions/b_favour.toml:{line}", "$.rule[0]", "CT-FAVOUR",
            "contradicts rule 'CT-EXCLUDE': under the same condition one excludes and the "
            "other favours the same option") == short(problem)
    assert ["alpha"] == problem.found


SAME_CONDITION = [  # (excluding rule's condition, favouring rule's condition)
    pytest.param('money.charitable_status and service.staff_count > 5',
                 'service.staff_count > 5 and money.charitable_status', id="and-reordered"),
    pytest.param('money.asset_lock in ["required"]', 'money.asset_lock == "required"',
                 id="in-one-value"),
    pytest.param('not not money.charitable_status', 'money.charitable_status',
                 id="double-negation"),
    pytest.param('not (service.staff_count > 5)', 'service.staff_count <= 5',
                 id="negated-comparison"),
]


@pytest.mark.parametrize(("excluding", "favouring"), SAME_CONDITION)
def test_contradiction_with_equivalent_conditions(tmp_path: Path, excluding: str,
                                                  favouring: str) -> None:
    """Excluding and favouring alpha under equivalent conditions is a contradiction."""
    body = (rule_toml("EXCL", excluding, 'exclude = ["alpha"]')
            + rule_toml("FAV", favouring, "favour = { alpha = 2 }"))
    [problem] = rejection(write_pack(tmp_path / "pack", body)).problems

    assert ("FAV", ["alpha"]) == (problem.rule, problem.found)


def test_fact_read_in_one_file_never_derived(tmp_path: Path) -> None:
    """A rule in another file reading a derived fact that nothing derives can never fire:
    reported at the reading rule, with its file and line."""
    folder = write_pack(tmp_path / "pack", '\n[[fact]]\nname = "orphan"\nkind = "bool"\n',
                        "a.toml")
    (folder / "b.toml").write_text(rule_toml("READS-ORPHAN", "orphan or not orphan"),
                                   encoding="utf-8")
    [problem] = rejection(folder).problems

    assert ("b.toml:2", "$.rule[0].when", "READS-ORPHAN", "the rule can never fire: it reads "
            "a derived fact that no rule derives") == short(problem)


NEVER_FIRES = [
    pytest.param('[[fact]]\nname = "x"\nkind = "bool"\n'
                 + rule_toml("DERIVES-TRUE", "money.charitable_status", "derive = { x = true }")
                 + rule_toml("NEVER", "not x"), id="negative-test-of-a-fact-only-derived-true"),
    pytest.param(rule_toml("NEVER", "service.staff_count > 5 and service.staff_count < 3"),
                 id="empty-range"),
    pytest.param(rule_toml("NEVER", 'money.asset_lock == "required" and money.asset_lock '
                           '== "preferred"'), id="two-values-at-once"),
    pytest.param(rule_toml("NEVER", "money.charitable_status is known and "
                           "money.charitable_status is unknown"), id="known-and-unknown"),
    pytest.param(rule_toml("NEVER", "money.charitable_status and not money.charitable_status"),
                 id="x-and-not-x"),
    pytest.param(rule_toml("NEVER", "as_of < 1999-01-01"), id="as-of-outside-validity"),
    pytest.param(rule_toml("NEVER", "years_since(as_of) < 3"), id="years-since-as-of"),
]


@pytest.mark.parametrize("body", NEVER_FIRES)
def test_rule_that_can_never_fire(tmp_path: Path, body: str) -> None:
    """A rule that no case and no date can fire is reported at that rule."""
    problems = rejection(write_pack(tmp_path / "pack", body)).problems

    assert ["NEVER"] == [p.rule for p in problems]


# --- cross-fact joins: not expressible ---------------------------------------------------------

JOINS = [  # rule id, column, message
    ("JOIN-FACT-FACT", 26, "expected a value, found 'ownership.community_pct'"),
    ("JOIN-ENUM", 21, "expected a value, found 'money.profit_distribution'"),
    ("JOIN-IS", 28, "expected a value, found 'money.external_equity'"),
    ("JOIN-YEARS", 39, "expected a value, found 'years_since'"),
    ("JOIN-IN", 25, "expected a value, found 'procurement.likely_challengers'"),
    ("JOIN-CONTAINS", 29, "expected a value, found 'service.categories'"),
    ("JOIN-AS-OF", 9, "expected a value, found 'procurement.start_date'"),
    ("JOIN-DERIVED", 14, "expected a value, found 'money.charitable_status'"),
    ("JOIN-ARITHMETIC", 24, "unexpected character '+'"),
    ("JOIN-REVERSED", 1, "expected a fact name, found '50'"),
    ("JOIN-DURABLE-ALIAS", 1, "names may not contain '__' ('m.ownership__employee_pct')"),
]


class TestCrossFactJoins:
    """durable_rules segfaults on some joins between facts; formselect cannot write one."""

    def test_every_join_attempt_is_refused_at_its_second_operand(self) -> None:
        """Each attempt to compare a fact with a fact is one problem at the right column."""
        path = HOSTILE / "cross_fact_join" / "rules.toml"
        lines = rule_lines(path)[1:]  # rule 0 derives staff_led, and is fine

        assert [(f"cross_fact_join/rules.toml:{lines[i]}",
                 f"$.rule[{i + 1}].when (column {column})", rule_id, message)
                for i, (rule_id, column, message) in enumerate(JOINS)] == [
                    short(p) for p in rejection(path.parent).problems]

    @settings(max_examples=200)
    @given(typed_conditions(max_leaves=30))
    def test_compiled_patterns_compare_with_constants_only(self, condition: Any) -> None:
        """Any condition the loader accepts compiles to a pattern whose every comparison is
        a fact key against a constant: no reference to another fact or alias exists."""
        pattern = _durable.compile_condition(condition)

        assert [] == list(non_constant_comparisons(pattern))
        assert all(isinstance(a, Compare) and not isinstance(a.value, dict | list)
                   for a in atoms(condition))

    def test_every_compiled_rule_is_a_single_fact_pattern(self, builtin_pack: Pack) -> None:
        """Every rule the engine runs (built-in pack, every span) matches one fact, aliased m, with
        constant comparisons only: the cross-fact join durable crashes on cannot arise."""
        plan = _durable._Plan(builtin_pack)
        definitions = [_durable._Ruleset(builtin_pack, plan, span).definition()
                       for span in plan.spans.spans]

        assert [] == [rule_id for definition in definitions
                      for rule_id, rule in definition.items()
                      if [list(p) for p in rule["all"]] != [["m"]]
                      or list(non_constant_comparisons(rule["all"][0]["m"]))]


def non_constant_comparisons(pattern: Any) -> Any:
    """Every comparison in a durable pattern whose right-hand side is not a constant."""
    if isinstance(pattern, dict):
        for key, value in pattern.items():
            if key in ("$and", "$or"):
                for part in value:
                    yield from non_constant_comparisons(part)
            elif key.startswith("$"):  # {"$gt": {fact_key: constant}}
                [(fact, right)] = value.items()
                if (key not in ("$ex", "$nex") and not is_constant(right)) or not isinstance(
                        fact, str) or fact.startswith("$"):
                    yield pattern
            elif not is_constant(value):  # {fact_key: constant}
                yield pattern
    else:
        yield pattern


def is_constant(value: object) -> bool:
    """A JSON scalar (what a comparison with a literal compiles to)."""
    return isinstance(value, bool | int | float | str)


# --- constructs that crash durable_rules --------------------------------------------------------

class EngineDidNotSurvive(AssertionError):
    """Evaluating a pack killed the process, hung, or failed inside the engine."""


HARNESS = textwrap.dedent("""
    import datetime as dt, json, sys
    from formselect.case.io import case_from_dict
    from formselect.engine import Backend, evaluate
    from formselect.errors import RulePackError
    from formselect.pack.load import load_pack
    try:
        pack = load_pack(sys.argv[1])
    except RulePackError as error:
        print(json.dumps({"outcome": "rejected", "sources": [p.source for p in error.problems]}))
        raise SystemExit(0)
    case = case_from_dict(json.loads(sys.argv[2]))
    python = sorted(evaluate(pack, case, dt.date(2021, 1, 1), Backend.PYTHON).fired)
    print("evaluating", flush=True)
    try:
        durable = sorted(evaluate(pack, case, dt.date(2021, 1, 1)).fired)
    except Exception as error:
        print(json.dumps({"outcome": f"{type(error).__name__}: {error}"}))
        raise SystemExit(0)
    print(json.dumps({"outcome": "evaluated", "durable": durable, "python": python}))
""")


def survive(folder: Path, case: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    """Load ``folder`` and evaluate ``case`` on both backends in a child process.

    Returns the child's report when the pack is refused at load (with problems located in
    the pack) or evaluates with both backends agreeing; raises EngineDidNotSurvive when the
    child dies by a signal, hangs, or the engine fails; AssertionError for anything else
    (a broken harness is a real failure, not the expected one).
    """
    try:
        result = subprocess.run([sys.executable, "-c", HARNESS, str(folder), json.dumps(case)],
                                capture_output=True, text=True, timeout=timeout, cwd=REPO,
                                check=False)
    except subprocess.TimeoutExpired:
        raise EngineDidNotSurvive(f"no answer within {timeout} s") from None
    if result.returncode < 0:
        raise EngineDidNotSurvive(f"killed by signal {-result.returncode}: "
                                  f"{result.stderr[-300:]}")
    assert 0 == result.returncode, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if report["outcome"] == "rejected":
        assert report["sources"]
        assert all(s.startswith(str(folder)) for s in report["sources"]), report
        return report
    if report["outcome"] != "evaluated" or report["durable"] != report["python"]:
        raise EngineDidNotSurvive(str(report))
    return report


ENGINE_CRASHERS = [
    pytest.param("engine_or_alternatives", {"service": {"staff_count": 1000}},
                 id="65-true-alternatives-in-one-or"),
    pytest.param("engine_rules_at_once", {"service": {"staff_count": 1000}},
                 id="65-rules-true-at-once"),
    pytest.param("engine_repeated_in", {"service": {"staff_count": 7}},
                 id="in-list-repeating-a-value-65-times"),
    pytest.param("engine_repeated_contains", {"service": {"categories": ["other"]}},
                 id="contains-any-repeating-a-member-65-times"),
    pytest.param("engine_long_in_list", {"service": {"staff_count": 3}},
                 id="in-list-of-512-values"),
    pytest.param("engine_alternatives_across_rules", {"service": {"staff_count": 1000}},
                 id="2-rules-with-33-true-alternatives"),
]


@pytest.mark.parametrize(("name", "case"), ENGINE_CRASHERS)
def test_engine_survives_or_loader_refuses(name: str, case: dict[str, Any]) -> None:
    """Packs that crash or hang durable_rules 2.0.28 when run naively — more than 64 tests
    true for one fact (alternatives of one condition, rules of one stratum, repeated list
    values) or an 'in' list of 512 values — are refused when loaded, or evaluate on the
    engine exactly as in the Python evaluator (in a child process, so a crash is seen)."""
    survive(HOSTILE / name, case)


def test_engine_runs_64_true_tests(tmp_path: Path) -> None:
    """Two rules of one stratum with 32 true alternatives each (64 tests true for one
    fact, the most durable_rules survives) load and evaluate as in the evaluator: the
    boundary of the crash above, so that its test fails for the right reason."""
    body = "".join(rule_toml(f"AT-64-{r}", " or ".join(f"service.staff_count > {r * 100 + j}"
                                                       for j in range(32)))
                   for r in range(2))
    report = survive(write_pack(tmp_path / "pack", body), {"service": {"staff_count": 1000}})

    assert ["AT-64-0", "AT-64-1"] == report["durable"] == report["python"]


def test_engine_runs_many_true_alternatives_in_one_stratum(tmp_path: Path) -> None:
    """Ten rules of one stratum with 40 true alternatives each (400 tests true for one
    fact, six times what durable_rules' stack holds) are cut into stages the engine can
    walk, and evaluate as in the evaluator."""
    body = "".join(rule_toml(f"MANY-{r}", " or ".join(f"service.staff_count > {r * 100 + j}"
                                                      for j in range(40)))
                   for r in range(10))
    report = survive(write_pack(tmp_path / "pack", body), {"service": {"staff_count": 5000}})

    assert [f"MANY-{r}" for r in range(10)] == report["durable"] == report["python"]


# --- loader crashes on odd files ---------------------------------------------------------------

def test_deeply_nested_toml_is_a_rule_pack_error() -> None:
    """A rule file nested too deeply for the TOML parser is an invalid-TOML problem."""
    [problem] = rejection(HOSTILE / "toml_nesting").problems

    assert problem.source == str(HOSTILE / "toml_nesting" / "rules.toml")


def test_huge_integer_literal_is_a_rule_pack_error() -> None:
    """An integer too long for Python's int parser is an invalid-TOML problem."""
    [problem] = rejection(HOSTILE / "huge_integer").problems

    assert problem.source == str(HOSTILE / "huge_integer" / "rules.toml")


def test_date_times_for_dates_are_refused() -> None:
    """valid_from given as a date-time is a wrong-type problem at $.rule[i].valid_from."""
    problems = rejection(HOSTILE / "datetime_dates").problems

    assert [("$.rule[0].valid_from", "wrong type"), ("$.rule[1].valid_from", "wrong type")] \
        == [(p.where, p.message) for p in problems]


def test_non_finite_derived_numbers_are_refused() -> None:
    """Derived numbers must be finite and within the engine's range (thousandths)."""
    problems = rejection(HOSTILE / "nonfinite_derive").problems

    assert ["$.rule[0].derive.score", "$.rule[1].derive.score", "$.rule[2].derive.score"] == [
        p.where for p in problems]


@pytest.mark.parametrize(("value", "accepted"), [(0.001, True), (-(10**12), True),
                                                 (0.0005, False), (10**12 + 1, False)])
def test_derived_numbers_within_what_is_compared(tmp_path: Path, value: float,
                                                 accepted: bool) -> None:
    """A derived number is accepted to a thousandth and up to 10^12 in size, the
    numbers both backends compare exactly; beyond either, it is refused at its derive."""
    body = ('[[fact]]\nname = "score"\nkind = "number"\n'
            + rule_toml("SCORE", "money.charitable_status", f"derive = {{ score = {value} }}"))
    result = load_or_error(write_pack(tmp_path / "pack", body))

    if accepted:
        assert not isinstance(result, RulePackError), result
    else:
        assert isinstance(result, RulePackError)
        assert ["$.rule[0].derive.score"] == [p.where for p in result.problems]


def test_entry_that_is_not_a_table_is_named() -> None:
    """An entry that is not a table says which table was expected, in the user's words."""
    problems = rejection(HOSTILE / "not_a_table").problems

    assert [("$.pack", "expected a table for pack"), ("$.rule[0]", "expected a table for rule"),
            ("$.rule[1]", "expected a table for rule"), ("$.rule[2]", "expected a table for "
                                                         "rule")] == [
                (p.where, p.message) for p in problems]
    assert {"a TOML table"} == {p.expected for p in problems}


def test_entry_that_is_not_a_table_is_located() -> None:
    """Each bad entry is one located problem with the type found, in the file."""
    problems = rejection(HOSTILE / "not_a_table").problems

    assert [("$.pack", "list"), ("$.rule[0]", "int"), ("$.rule[1]", "str"),
            ("$.rule[2]", "list")] == [(p.where, p.found) for p in problems]
    assert {str(HOSTILE / "not_a_table" / "rules.toml")} == {p.source for p in problems}


def test_byte_order_mark_is_located(tmp_path: Path) -> None:
    """A UTF-8 file starting with a byte order mark is refused at line 1, column 1 as
    invalid TOML (a typed, located error, though the file is otherwise fine)."""
    text = (HOSTILE / "format_strings" / "rules.toml").read_text("utf-8")
    (tmp_path / "bom.toml").write_text("\ufeff" + text, encoding="utf-8")
    [problem] = rejection(tmp_path).problems

    assert (str(tmp_path / "bom.toml"), "line 1, column 1", "invalid TOML: Invalid statement"
            ) == (problem.source, problem.where, problem.message)


# --- garbage ----------------------------------------------------------------------------------

FACT_NAMES = sorted(case_facts())
TOKENS = [*FACT_NAMES, "as_of", "years_since", "(", ")", "[", "]", ",", "and", "or", "not",
          "is", "in", "contains", "does", "contain", "any", "known", "unknown", "true",
          "false", "==", "!=", "<", "<=", ">", ">=", "1", "-5", "2.5", "1_000", '"required"',
          "'x'", "2020-02-29", "2021-02-29", "__import__", ".", "$", "{", "}", "%", "\\",
          '"', "'", "\n", "\x00", "é", "🦀", "x" * 100]
condition_soup = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join),
    st.lists(st.sampled_from(TOKENS), max_size=30).map("".join),
)


@given(condition_soup)
def test_garbage_condition_parses_or_is_a_syntax_error(text: str) -> None:
    """Any text given to the condition parser is a condition or a ConditionSyntaxError
    whose column lies within the text (or just after it)."""
    try:
        parse(text)
    except ConditionSyntaxError as error:
        column, message = error.column, error.message
    else:
        return

    assert 1 <= column <= len(text) + 1
    assert message


@pytest.fixture(scope="module")
def garbage_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch folder reused by the garbage property tests (one file at a time)."""
    return tmp_path_factory.mktemp("garbage")


def load_or_error(folder: Path) -> Pack | RulePackError:
    """The pack, or the RulePackError; any other exception fails the test."""
    try:
        return load_pack(folder)
    except RulePackError as error:
        return error


def assert_located(result: Pack | RulePackError, path: Path) -> None:
    """Every problem of a refused file names that file (pack-wide limits excepted)."""
    if isinstance(result, RulePackError):
        assert result.problems
        assert [] == [p for p in result.problems if not p.source.startswith(str(path))
                      and p.message not in ("too many rules",
                                            "too many derived facts for the engine")]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.binary(max_size=2_000))
def test_garbage_bytes_as_a_rule_file(garbage_dir: Path, data: bytes) -> None:
    """Random bytes as a rule file give a pack or a RulePackError naming the file."""
    path = garbage_dir / "rules.toml"
    path.write_bytes(data)

    assert_located(load_or_error(garbage_dir), path)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=2_000))
def test_garbage_text_as_a_rule_file(garbage_dir: Path, text: str) -> None:
    """Random unicode text as a rule file gives a pack or a RulePackError naming the file."""
    path = garbage_dir / "rules.toml"
    path.write_text(text, encoding="utf-8")

    assert_located(load_or_error(garbage_dir), path)


# TOML values of every kind except date-times (a known bug, see test_date_times_for_dates_are_
# refused) and integers beyond Python's digit limit (test_huge_integer_literal_...).
toml_scalars = st.one_of(
    st.text(max_size=20), st.integers(-(10**20), 10**20), st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True), st.dates(),
    st.sampled_from(["money.charitable_status", "alpha", "beta", "https://example.org/",
                     "ownership.employee_pct > 50", "high", "bool", "enum"]))
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
RULE_KEYS = ["id", "title", "when", "explanation", "references", "valid_from", "valid_until",
             "exclude", "favour", "derive", "risk", "step", "analysis", "caveat"]
good_rule = {"id": "G", "title": "t", "when": "money.charitable_status", "explanation": "e",
             "valid_from": dt.date(2000, 1, 1), "favour": {"alpha": 1},
             "references": [{"instrument": "Guide", "provision": "p",
                             "url": "https://example.org/"}]}


@st.composite
def toml_shaped(draw: st.DrawFn) -> dict[str, Any]:
    """A rule file whose shape is nearly right: known sections and keys, odd values."""
    doc: dict[str, Any] = {"form": [{"id": "alpha", "name": "Alpha"}]}
    rules = []
    for _ in range(draw(st.integers(1, 3))):
        rule = dict(good_rule)
        for key in draw(st.lists(st.sampled_from([*RULE_KEYS, "extra"]), max_size=4)):
            if draw(st.booleans()):
                rule[key] = draw(toml_values)
            else:
                rule.pop(key, None)
        rules.append(rule)
    doc["rule"] = rules
    if draw(st.booleans()):
        doc[draw(st.sampled_from(["fact", "route", "pack", "form", "rules"]))] = draw(
            toml_values)
    return doc


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(toml_shaped())
def test_toml_shaped_garbage(garbage_dir: Path, doc: dict[str, Any]) -> None:
    """A nearly right rule file with odd values gives a pack or a located RulePackError."""
    path = garbage_dir / "rules.toml"
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")

    assert_located(load_or_error(garbage_dir), path)


@settings(max_examples=60,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(when=condition_soup, case=cases(names=False))
def test_garbage_condition_in_a_rule(garbage_dir: Path, when: str, case: Any) -> None:
    """Any text as a rule's condition is refused at that rule's condition, or loads and
    then evaluates the same on the engine and the Python evaluator."""
    path = garbage_dir / "rules.toml"
    path.write_text(FORMS + rule_toml("GARBAGE", when), encoding="utf-8")
    result = load_or_error(garbage_dir)

    if isinstance(result, RulePackError):
        assert {"GARBAGE"} == {p.rule for p in result.problems}
        assert all(p.where.startswith("$.rule[0]") for p in result.problems)
    else:
        assert evaluate(result, case, DAY).fired == evaluate(result, case, DAY,
                                                             Backend.PYTHON).fired


def test_every_hostile_pack_is_tested() -> None:
    """Each folder under tests/hostile_packs is used by a test above (none is unused)."""
    used = {"python_reach", "format_strings", "deep_nesting", "duplicate_ids", "cycles",
            "contradictions", "cross_fact_join", "toml_nesting", "huge_integer",
            "datetime_dates", "nonfinite_derive", "not_a_table",
            *(p.values[0] for p in ENGINE_CRASHERS)}

    assert used == {p.name for p in HOSTILE.iterdir() if p.is_dir()}


@pytest.mark.parametrize("text", ["ownership.employee_pct > ٥٠", "ownership.employee_pct > ５０"],
                         ids=["arabic-indic", "full-width"])
def test_numbers_are_ascii_digits(text: str) -> None:
    """A number in a condition is written with the digits 0-9 only."""
    try:
        parse(text)
    except ConditionSyntaxError:
        return
    raise NotRejected(f"{text!r} parsed")


def test_nan_is_not_a_number_literal() -> None:
    """'nan' and 'inf' are not number literals in a condition (only in TOML values)."""
    for text in ("ownership.employee_pct > nan", "ownership.employee_pct < inf"):
        with pytest.raises(ConditionSyntaxError, match="expected a value"):
            parse(text)
