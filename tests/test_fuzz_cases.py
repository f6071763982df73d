"""Fuzzing cases: a valid case always gets an Advice; anything else a typed, located error.

Hypothesis drives the strategies of tests/strategies.py (``case_dicts``,
``invalid_case_dicts``, ``wrong_value``, ``odd_text``, ``huge_text``) through the public
entry point :func:`formselect.advise` on the built-in pack with random assessment dates, and
adds what they leave out: cross-field contradictions, text at and over the length limit,
unicode everywhere, files in odd encodings, NaN and infinities from JSON and TOML.

Every CaseError problem must name the field (``where``), the value found and what was
expected. The last class runs the reliability scripts of
tests/reliability at a tiny size, so that they are known to work.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from formselect import Advice, advice_to_json, advise
from formselect.case.io import MAX_TEXT, case_from_dict, dump_case, loads_case
from formselect.case.kinds import FactKind
from formselect.case.vocabulary import SECTIONS, case_facts
from formselect.errors import CaseError, FormselectError, Problem

from .conftest import REPO
from .strategies import (
    as_of_dates,
    case_dicts,
    case_from_plain,
    huge_text,
    invalid_case_dicts,
    odd_text,
    wrong_value,
)

FACTS = case_facts()
ENUM_FACTS = sorted(n for n, s in FACTS.items() if s.kind is FactKind.ENUM)


def case_error(data: Any, as_of: dt.date | None = None) -> CaseError:
    """The CaseError that advising on ``data`` raises (fails the test otherwise)."""
    with pytest.raises(CaseError) as info:
        advise(data, as_of)
    return info.value


def value_at(data: dict[str, Any], where: str) -> Any:
    """The value a problem path points at in case data (``ownership.employee_pct``)."""
    section, _, field = where.partition(".")
    value = data[section]
    return value[field] if field else value


def found_matches(found: object, value: object) -> bool:
    """Whether a problem's ``found`` is the input value: itself, the offending members of
    a list, NaN for NaN, or its repr shortened with '...'."""
    if isinstance(found, float) and isinstance(value, float) and math.isnan(found):
        return math.isnan(value)
    if found == value:
        return True
    if isinstance(value, int) and value.bit_length() > 256:  # too long for repr()
        return found == f"an integer of about {int(value.bit_length() * 0.30103):,} digits"
    if isinstance(found, str) and found.endswith("...") and len(found) == 80:
        return repr(value).startswith(found[:-3])
    if isinstance(value, list | tuple | set | frozenset):
        members = found if isinstance(found, list) else [found]
        return all(m in value for m in members)
    return False


def assert_names_field_value_expectation(error: CaseError, data: dict[str, Any]) -> None:
    """Every problem names its field, what was expected and (for a value) what was found."""
    for problem in error.problems:
        assert problem.where, problem
        assert problem.expected, problem
        section = problem.where.partition(".")[0]
        known = problem.where in FACTS or problem.where in ("name", "notes", "as_of") or (
            problem.where in SECTIONS and not isinstance(data.get(section), dict))
        if (known and problem.message == "invalid value") or problem.message.startswith(
                "a section must be"):
            assert found_matches(problem.found, value_at(data, problem.where)), problem
        # values are shortened; an unknown key is echoed whole (test_huge_key_is_shortened)
        assert len(str(problem)) - len(problem.where) < 1_200, "a value echoed at full size"


# --- valid cases -------------------------------------------------------------------------------

class TestValidCases:
    """Any valid case, in any form the API accepts, gets an Advice on the built-in pack."""

    @pytest.mark.slow  # a long run: in the full suite (CI)
    @given(data=case_dicts(), as_of=as_of_dates)
    def test_dict_gets_advice(self, data: dict[str, Any], as_of: dt.date) -> None:
        """A valid case dict (unicode names, extreme numbers, any date) gets an Advice for
        that case and date."""
        advice = advise(data, as_of)

        assert isinstance(advice, Advice)
        assert (case_from_dict(data), as_of) == (advice.case, advice.as_of)

    @pytest.mark.slow  # a long run: in the full suite (CI)
    @settings(max_examples=15)
    @given(data=case_dicts(), as_of=as_of_dates)
    def test_every_input_form_gets_the_same_advice(self, tmp_path_factory: Any,
                                                   data: dict[str, Any],
                                                   as_of: dt.date) -> None:
        """A Case, a dict, TOML and JSON text and a file all give the same advice."""
        case = case_from_plain(data)
        folder = tmp_path_factory.mktemp("case")
        (folder / "case.json").write_text(dump_case(case, "json"), encoding="utf-8")
        expected = advice_to_json(advise(case, as_of))

        assert [expected] * 4 == [
            advice_to_json(advise(data, as_of)),
            advice_to_json(advise(loads_case(dump_case(case)), as_of)),
            advice_to_json(advise(loads_case(dump_case(case, "json"), "json"), as_of)),
            advice_to_json(advise(folder / "case.json", as_of)),
        ]

    @pytest.mark.slow  # a long run: in the full suite (CI)
    @settings(max_examples=50)
    @given(text=st.one_of(st.text(), odd_text.filter(lambda t: len(t) <= MAX_TEXT)),
           field=st.sampled_from(["name", "notes"]))
    def test_unicode_text_is_kept(self, text: str, field: str) -> None:
        """Any text up to MAX_TEXT in name or notes is kept exactly, through JSON as UTF-8."""
        advice = advise({field: text}, "2021-01-01")
        written = advice_to_json(advice).encode("utf-8")

        assert text == getattr(advice.case, field)
        assert text == json.loads(written)["case"].get(field, "")

    @given(text=huge_text, field=st.sampled_from(["name", "notes"]))
    def test_huge_text(self, text: str, field: str) -> None:
        """Text over MAX_TEXT (up to 15,000 characters) is one problem at the field, the
        value shown shortened."""
        [problem] = case_error({field: text}).problems

        assert (field, repr(text)[:77] + "...") == (problem.where, problem.found)

    @pytest.mark.parametrize("field", ["name", "notes"])
    def test_text_at_the_limit(self, field: str) -> None:
        """Exactly MAX_TEXT characters (of a two-byte letter) are accepted; one more is a
        problem at the field, with the value shortened."""
        assert MAX_TEXT == len(getattr(advise({field: "é" * MAX_TEXT}, "2021-01-01").case,
                                       field))

        [problem] = case_error({field: "é" * (MAX_TEXT + 1)}).problems

        assert (field, "invalid value", f"text of at most {MAX_TEXT:,} characters, valid "
            "Unicode (no lone surrogate escapes)") == (
            problem.where, problem.message, problem.expected)
        assert repr("é" * 100)[:77] + "..." == problem.found


# --- invalid cases ----------------------------------------------------------------------------

class TestInvalidCases:
    """Invalid cases raise CaseError with one problem per defect, each fully described."""

    @pytest.mark.slow  # a long run: in the full suite (CI)
    @given(drawn=invalid_case_dicts(), as_of=as_of_dates)
    def test_defects_are_named(self, drawn: tuple[dict[str, Any], list[str]],
                               as_of: dt.date) -> None:
        """Wrong types, out-of-range numbers, unknown keys, misspelt values, odd unicode and
        huge strings: one problem per defect, naming field, value found and expectation."""
        data, wheres = drawn
        error = case_error(data, as_of)

        assert wheres == sorted(p.where for p in error.problems)
        assert_names_field_value_expectation(error, data)

    @pytest.mark.slow  # a long run: in the full suite (CI)
    @given(data=case_dicts(names=False),
           picks=st.sets(st.sampled_from(["stakes", "transfer", "schemes", "payout"]),
                         min_size=1))
    def test_contradictions_are_named(self, data: dict[str, Any], picks: set[str]) -> None:
        """Facts that are each valid but contradict one another are each reported at the
        fact that contradicts, with the values found and what would be consistent."""
        expected = []
        for pick in sorted(picks):
            section, facts, where = {
                "stakes": ("ownership", {"employee_pct": 60, "community_pct": 50.5},
                           "ownership"),
                "transfer": ("transfer", {"staff_transfer": False, "compulsory_transfer": True},
                             "transfer.compulsory_transfer"),
                "schemes": ("transfer", {"pension_schemes": ["none", "lgps"]},
                            "transfer.pension_schemes"),
                "payout": ("money", {"profit_distribution": "reinvest_all",
                                     "investor_payout_pct": 12.5}, "money.investor_payout_pct"),
            }[pick]
            data.setdefault(section, {}).update(facts)
            expected.append(where)
        error = case_error(data)

        assert sorted(expected) == sorted(p.where for p in error.problems)
        assert all(p.found is not None and p.expected for p in error.problems)

    @given(name=st.sampled_from(ENUM_FACTS), value=odd_text)
    def test_odd_text_as_an_enum_value(self, name: str, value: str) -> None:
        """Unicode, control characters and huge strings as an enumeration value are one
        problem at that fact, the value shortened, the allowed values listed."""
        assume(value not in FACTS[name].values and value != "unknown")
        section, _, field = name.partition(".")
        [problem] = case_error({section: {field: value}}).problems

        assert (name, "one of " + ", ".join(FACTS[name].values)) == (problem.where,
                                                                    problem.expected)
        assert found_matches(problem.found, value)

    @given(name=st.sampled_from(sorted(FACTS)), data=st.data())
    def test_wrong_value_for_any_fact(self, name: str, data: st.DataObject) -> None:
        """A wrong value for any fact (of every kind) is one problem at that fact."""
        spec = FACTS[name]
        value = data.draw(wrong_value(spec))
        section, _, field = name.partition(".")
        try:
            advise({section: {field: value}}, "2021-01-01")
        except CaseError as error:
            [problem] = error.problems
            assert (name, "invalid value") == (problem.where, problem.message)
            assert found_matches(problem.found, value), (problem.found, value)
        # a drawn 'wrong' value may be harmless (a misspelling that is another valid value)


# --- files: encodings, NaN, infinities ----------------------------------------------------

JSON_NON_FINITE = [  # fact, JSON literal
    (fact, literal) for fact in ("ownership.employee_pct", "service.staff_count",
                                 "money.charitable_status", "money.asset_lock",
                                 "procurement.start_date", "procurement.value_gbp_inc_vat")
    for literal in ("NaN", "Infinity", "-Infinity")]


class TestFiles:
    """Case files in odd encodings or with non-finite numbers are CaseErrors naming the file
    (and the fact, when the file parses)."""

    @pytest.mark.parametrize(("fact", "literal"), JSON_NON_FINITE)
    def test_json_non_finite_number(self, tmp_path: Path, fact: str, literal: str) -> None:
        """json accepts NaN and ±Infinity: each is one problem at its fact, found as read."""
        section, _, field = fact.partition(".")
        path = tmp_path / "case.json"
        path.write_text(f'{{"{section}": {{"{field}": {literal}}}}}', encoding="utf-8")
        [problem] = case_error(path).problems

        assert (str(path), fact, "invalid value") == (problem.source, problem.where,
                                                      problem.message)
        assert found_matches(problem.found, float(literal.lower().replace("infinity", "inf")))

    @pytest.mark.parametrize("where", ["name", "as_of", "service.categories",
                                       "service.cpv_codes", "money"])
    def test_json_nan_elsewhere(self, where: str) -> None:
        """NaN as text, a date, a set, a code list or a whole section is a problem there."""
        section, _, field = where.partition(".")
        text = (f'{{"{section}": {{"{field}": [NaN]}}}}' if field
                else f'{{"{section}": NaN}}')
        [problem] = text_error(text).problems

        assert where == problem.where

    @pytest.mark.parametrize(("text", "fact"), [
        ("[ownership]\nemployee_pct = nan\n", "ownership.employee_pct"),
        ("[service]\nstaff_count = inf\n", "service.staff_count"),
        ("[transfer]\nasset_undervalue_gbp = -inf\n", "transfer.asset_undervalue_gbp"),
    ])
    def test_toml_non_finite_number(self, text: str, fact: str) -> None:
        """TOML's nan and inf are problems at their fact."""
        [problem] = text_error(text, "toml").problems

        assert (fact, "invalid value") == (problem.where, problem.message)

    @pytest.mark.parametrize(("name", "content", "message"), [
        ("bom.json", '{"name": "x"}'.encode("utf-8-sig"),
         "invalid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 "
         "(char 0)"),
        ("bom.toml", 'name = "x"\n'.encode("utf-8-sig"),
         "invalid TOML: Invalid statement (at line 1, column 1)"),
        ("utf16.json", '{"name": "x"}'.encode("utf-16"), "not UTF-8 text"),
        ("utf16.toml", 'name = "x"\n'.encode("utf-16"), "not UTF-8 text"),
        ("utf32.json", '{"name": "x"}'.encode("utf-32"), "not UTF-8 text"),
        ("latin1.toml", 'name = "café"\n'.encode("latin-1"), "not UTF-8 text"),
        ("overlong.json", b'{"name": "\xc0\xaf"}', "not UTF-8 text"),
        ("nul.toml", b'name = "x"\x00\n', "invalid TOML: Expected newline or end of document "
         "after a statement (at line 1, column 11)"),
        ("control.json", b'{"name": "a\x01b"}',
         "invalid JSON: Invalid control character at: line 1 column 12 (char 11)"),
        ("empty.json", b"", "invalid JSON: Expecting value: line 1 column 1 (char 0)"),
        ("deep.json", b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
         "invalid JSON: nested too deeply to read"),
        ("deep.toml", b"name = " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
         "invalid TOML: nested too deeply to read"),
        ("duplicate.toml", b'name = "a"\nname = "b"\n',
         "invalid TOML: Cannot overwrite a value (at line 2, column 11)"),
        ("array.json", b"[1, 2]", "a case must be a table of sections"),
    ])
    def test_odd_file(self, tmp_path: Path, name: str, content: bytes, message: str) -> None:
        """Byte order marks, UTF-16/32, Latin-1, overlong UTF-8, control characters, empty,
        nested 100,000 deep, duplicate keys, not a table: one problem naming the file (a
        message ending in * is a prefix: the rest is the parser's own words)."""
        path = tmp_path / name
        path.write_bytes(content)
        [problem] = case_error(path).problems
        shown = problem.message[:len(message) - 1] + "*" if message.endswith("*") \
            else problem.message

        assert (str(path), message) == (problem.source, shown)
        assert problem.expected

    def test_empty_toml_is_an_empty_case(self, tmp_path: Path) -> None:
        """An empty TOML file is a case whose every fact is unknown (it still gets advice)."""
        (tmp_path / "empty.toml").write_bytes(b"")

        assert isinstance(advise(tmp_path / "empty.toml", "2021-01-01"), Advice)

    @pytest.mark.parametrize("field", ["name", "notes"])
    def test_lone_surrogate_in_json(self, tmp_path: Path, field: str) -> None:
        """A lone surrogate is refused as a CaseError at the field, or its advice can be
        written as UTF-8."""
        path = tmp_path / "case.json"
        path.write_text(f'{{"{field}": "spin-out \\ud800"}}', encoding="utf-8")
        refused: list[str] = []
        try:
            advice = advise(path, "2021-01-01")
        except CaseError as error:
            refused = [p.where for p in error.problems]
        else:
            advice_to_json(advice).encode("utf-8")

        assert refused in ([], [field])


def text_error(text: str, fmt: str = "json") -> CaseError:
    """The CaseError that reading case text raises (fails the test otherwise)."""
    with pytest.raises(CaseError) as info:
        loads_case(text, fmt)
    return info.value


# --- the Python API given odd values ------------------------------------------------------

class TestApiValues:
    """Values only a Python caller can pass: typed errors, never a crash."""

    @pytest.mark.parametrize("value", [b"x", 1j, (), object(), 10**400, -0.0, True])
    def test_odd_python_values(self, value: object) -> None:
        """bytes, complex, tuples, objects, huge ints, booleans as a number: a problem at
        the fact, or (for -0.0) advice."""
        data = {"ownership": {"employee_pct": value}}
        if value == 0 and not isinstance(value, bool):
            assert isinstance(advise(data, "2021-01-01"), Advice)
            return
        [problem] = case_error(data).problems

        assert "ownership.employee_pct" == problem.where

    @pytest.mark.parametrize("key", [1, None, ("a",), "", "é" * 200])
    def test_odd_keys(self, key: object) -> None:
        """Keys that are not section names (numbers, None, tuples, empty, huge) are each a
        problem at that key."""
        [problem] = case_error({key: 1}).problems

        assert (str(key), "unknown key") == (problem.where, problem.message)

    @pytest.mark.parametrize("as_of", ["2021-02-30", "2021-01-01\x00", "soon", ""])
    def test_bad_as_of_text(self, as_of: str) -> None:
        """An as_of text that is not a date is a FormselectError quoting it."""
        with pytest.raises(FormselectError, match=re.escape(repr(as_of))):
            advise({}, as_of)

    def test_no_date_at_all(self) -> None:
        """A case without as_of or start date, advised without as_of, says what is needed."""
        with pytest.raises(FormselectError, match="as_of is needed"):
            advise({})

    @pytest.mark.parametrize("where", ["service.staff_count", "ownership.employee_pct",
                                       "name"])
    def test_integer_too_long_to_print(self, where: str) -> None:
        """An integer of 5,000 digits is one problem at its field, shown shortened."""
        section, _, field = where.partition(".")
        data = {section: {field: 10**5000}} if field else {section: 10**5000}
        [problem] = case_error(data).problems

        assert where == problem.where

    @pytest.mark.parametrize("as_of", [dt.datetime(2021, 1, 1, 12), 20210101],  # noqa: DTZ001
                             ids=["datetime", "int"])
    def test_as_of_of_the_wrong_type(self, as_of: object) -> None:
        """as_of that is not a date (or YYYY-MM-DD text) is a FormselectError."""
        with pytest.raises(FormselectError):
            advise({}, as_of)  # type: ignore[arg-type]

    def test_unknown_backend(self) -> None:
        """An unknown backend name is a FormselectError."""
        with pytest.raises(FormselectError):
            advise({}, "2021-01-01", backend="nope")


# --- the reliability scripts, at a tiny size ---------------------------------------------

def run_script(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m tests.reliability.<args>`` from the repository root."""
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, check=False)


def counts(output: str) -> dict[str, int]:
    """The ``name: number`` lines a script prints."""
    return {m[1]: int(m[2].replace(",", "")) for m in re.finditer(r"^\s*(\w[\w ]*\w): ([\d,]+)$",
                                                                   output, re.MULTILINE)}


class TestScripts:
    """The scripts of tests/reliability run and report, and catch what they are for."""

    @pytest.mark.slow  # a long run: in the full suite (CI)
    def test_fuzz_cases(self) -> None:
        """The fuzz script runs generated cases in a child and reports zero crashes."""
        result = run_script("tests.reliability.fuzz_cases", "--n", "400", "--jobs", "1",
                            "--chunk", "200")
        found = counts(result.stdout)

        assert 0 == result.returncode, result.stdout + result.stderr
        assert (400, 0, 0) == (found["cases"], found["crashes"], found["wrong"])
        assert found["advice"] > 50
        assert found["typed errors"] > 50
        assert found["advice"] + found["typed errors"] == 400

    @pytest.mark.slow  # a long run: in the full suite (CI)
    def test_fuzz_counts_a_crash_and_goes_on(self) -> None:
        """A child that dies (here: made to abort on case 150) is one crash, the case is
        saved for replay, the other cases still run, and the script exits 1."""
        result = run_script("tests.reliability.fuzz_cases", "--n", "300", "--jobs", "1",
                            "--chunk", "300", "--abort-at", "150")
        found = counts(result.stdout)

        assert 1 == result.returncode, result.stdout + result.stderr
        assert (300, 1, 0) == (found["cases"], found["crashes"], found["wrong"])
        assert found["advice"] + found["typed errors"] == 299
        assert "case 150: killed by signal 6 (SIGABRT)" in result.stdout

    @pytest.mark.slow  # a long run: in the full suite (CI)
    def test_oracle(self) -> None:
        """The oracle script compares the engine and the Python evaluator: no disagreement."""
        result = run_script("tests.reliability.oracle", "--n", "400", "--jobs", "1")
        found = counts(result.stdout)

        assert 0 == result.returncode, result.stdout + result.stderr
        assert (400, 0, 0) == (found["cases"], found["disagreements"], found["crashes"])

    @pytest.mark.slow  # a long run: in the full suite (CI)
    def test_soak(self) -> None:
        """The soak script samples resident memory and prints its growth."""
        result = run_script("tests.reliability.soak", "--n", "300", "--warmup", "100",
                            "--every", "100", "--limit-mb", "100")
        found = counts(result.stdout)

        assert 0 == result.returncode, result.stdout + result.stderr
        assert 300 == found["cases"]
        assert re.search(r"^growth: -?\d+\.\d MB", result.stdout, re.MULTILINE), result.stdout

    @pytest.mark.slow  # a long run: in the full suite (CI)
    def test_soak_next_questions(self) -> None:
        """With ``--what both`` every case goes through advise and next_questions too."""
        result = run_script("tests.reliability.soak", "--n", "200", "--warmup", "50",
                            "--every", "100", "--limit-mb", "100", "--what", "both")
        found = counts(result.stdout)

        assert 0 == result.returncode, result.stdout + result.stderr
        assert (200, 0) == (found["cases"], found["unexpected outcomes"])
        assert "each case through both" in result.stdout


@pytest.mark.parametrize("data", [{"k" * 20_000: 1}, {"money": {"k" * 20_000: 1}}],
                         ids=["top-level", "in-a-section"])
def test_huge_key_is_shortened(data: dict[str, Any]) -> None:
    """An unknown key of 20,000 characters is reported shortened, like a huge value."""
    [problem] = case_error(data).problems

    assert len(str(problem)) < 400


def test_problem_str_is_bounded() -> None:
    """A problem quoting a huge value stays short when printed."""
    problem = case_error({"notes": "x" * 50_000}).problems[0]

    assert isinstance(problem, Problem)
    assert len(str(problem)) < 300
