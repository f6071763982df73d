"""Reading and writing cases: TOML, JSON and dicts, round trips, and every problem at once."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formselect.case.enums import (
    AssetLock,
    Jurisdiction,
    ParentBody,
    PensionScheme,
    ServiceCategory,
)
from formselect.case.io import (
    MAX_CASE_BYTES,
    TOP_LEVEL,
    case_from_dict,
    case_to_dict,
    dump_case,
    load_case,
    loads_case,
)
from formselect.case.model import Case, Money, Ownership, Procurement, Service, Transfer
from formselect.case.vocabulary import SECTIONS, case_facts
from formselect.errors import CaseError
from tests.conftest import BAD_CASES
from tests.strategies import case_dicts, cases, invalid_case_dicts

FIELD_NAMES = sorted({name.partition(".")[2] for name in case_facts()})
ENUM_VALUES = sorted({v for spec in case_facts().values() for v in spec.values})

EPIC_TOML = """
name = "Youth services spin-out"
notes = "Staff-led; the council keeps no stake."

[service]
parent_body = "council"
jurisdiction = "england"
categories = ["children_and_youth", "careers_advice"]
staff_count = 40
cpv_codes = ["85000000-9"]

[ownership]
employee_pct = 100
public_body_decisive_influence = false

[money]
asset_lock = "required"

[procurement]
start_date = 2012-10-01
value_gbp_inc_vat = 12_000_000.5

[transfer]
pension_schemes = ["lgps"]
"""

EPIC = Case(
    name="Youth services spin-out",
    notes="Staff-led; the council keeps no stake.",
    service=Service(parent_body=ParentBody.COUNCIL, jurisdiction=Jurisdiction.ENGLAND,
                    categories=frozenset({ServiceCategory.CHILDREN_AND_YOUTH,
                                          ServiceCategory.CAREERS_ADVICE}),
                    staff_count=40, cpv_codes=("85000000-9",)),
    ownership=Ownership(employee_pct=100, public_body_decisive_influence=False),
    money=Money(asset_lock=AssetLock.REQUIRED),
    procurement=Procurement(start_date=dt.date(2012, 10, 1), value_gbp_inc_vat=12_000_000.5),
    transfer=Transfer(pension_schemes=frozenset({PensionScheme.LGPS})),
)


def problems_of(data: Any) -> list[str]:
    """The ``str`` of each problem case_from_dict reports (fails if there is none)."""
    with pytest.raises(CaseError) as info:
        case_from_dict(data, source="case.toml")
    return [str(p) for p in info.value.problems]


# --- loading -------------------------------------------------------------------------------

class TestLoad:
    """TOML, JSON and dicts give the same typed case."""

    def test_toml_text(self) -> None:
        """TOML text loads into enums, frozensets, tuples, dates and numbers."""
        assert EPIC == loads_case(EPIC_TOML)

    def test_json_text(self) -> None:
        """JSON text with ISO dates loads into the same case."""
        text = json.dumps({
            "name": "Youth services spin-out", "notes": "Staff-led; the council keeps no stake.",
            "service": {"parent_body": "council", "jurisdiction": "england",
                        "categories": ["careers_advice", "children_and_youth"],
                        "staff_count": 40, "cpv_codes": ["85000000-9"]},
            "ownership": {"employee_pct": 100, "public_body_decisive_influence": False},
            "money": {"asset_lock": "required"},
            "procurement": {"start_date": "2012-10-01", "value_gbp_inc_vat": 12000000.5},
            "transfer": {"pension_schemes": ["lgps"]},
        })

        assert EPIC == loads_case(text, "json")

    def test_dict(self) -> None:
        """A plain dict loads into the same case."""
        assert EPIC == case_from_dict(case_to_dict(EPIC))

    def test_files(self, tmp_path: Path) -> None:
        """load_case picks the format from the suffix (.toml or .json)."""
        (tmp_path / "c.toml").write_text(EPIC_TOML, encoding="utf-8")
        (tmp_path / "c.JSON").write_text(dump_case(EPIC, "json"), encoding="utf-8")

        assert EPIC == load_case(tmp_path / "c.toml")
        assert EPIC == load_case(str(tmp_path / "c.JSON"))

    def test_empty_case(self) -> None:
        """An empty document is a case where every fact is unknown."""
        assert Case() == loads_case("")
        assert Case() == loads_case("{}", "json")

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file is a CaseError naming the file."""
        with pytest.raises(CaseError, match="no such case file") as info:
            load_case(tmp_path / "absent.toml")

        assert str(tmp_path / "absent.toml") == info.value.problems[0].source

    def test_file_too_large(self, tmp_path: Path) -> None:
        """A file larger than MAX_CASE_BYTES is refused before it is parsed."""
        big = tmp_path / "big.toml"
        big.write_text("# " + "x" * MAX_CASE_BYTES + "\n", encoding="utf-8")

        with pytest.raises(CaseError, match="case file too large"):
            load_case(big)


class TestCaseDate:
    """A case may carry its own assessment date (``as_of``) at the top level."""

    def test_toml_date(self) -> None:
        """A TOML date becomes the case's as_of and is written back."""
        case = loads_case("as_of = 2024-02-29\n")

        assert dt.date(2024, 2, 29) == case.as_of
        assert {"as_of": dt.date(2024, 2, 29)} == case_to_dict(case)

    def test_json_text_date(self) -> None:
        """An ISO date string in JSON becomes the case's as_of."""
        assert dt.date(2025, 2, 24) == loads_case('{"as_of": "2025-02-24"}', "json").as_of

    @pytest.mark.parametrize("text", ['{"as_of": null}', '{"as_of": "unknown"}', "{}"])
    def test_unknown(self, text: str) -> None:
        """null, "unknown" or no as_of leave the case without its own date."""
        assert loads_case(text, "json").as_of is None

    @pytest.mark.parametrize("value", ["2023-02-29", "soon", 20240101, True,
                                       "2024-01-01T10:00:00"])
    def test_invalid(self, value: object) -> None:
        """Anything but a date is a problem at as_of."""
        [problem] = problems_of({"as_of": value})

        assert problem.startswith("case.toml: as_of: invalid value")
        assert "expected a date such as" in problem


class TestUnknown:
    """Leaving a fact out, JSON null and the string "unknown" all mean unknown."""

    @pytest.mark.parametrize("text", [
        '{"ownership": {"employee_pct": null}}',
        '{"ownership": {"employee_pct": "unknown"}}',
        '{"ownership": {}}',
        "{}",
    ])
    def test_json_unknowns(self, text: str) -> None:
        """null, "unknown", an empty section and an absent section are all unknown."""
        assert loads_case(text, "json").ownership.employee_pct is None

    @pytest.mark.parametrize("fact", ["money.asset_lock", "transfer.pension_schemes",
                                      "procurement.start_date", "service.cpv_codes",
                                      "money.charitable_status", "service.staff_count"])
    def test_toml_unknown_string(self, fact: str) -> None:
        """``"unknown"`` is accepted for a fact of any kind and leaves it unknown."""
        section, _, field = fact.partition(".")

        assert Case() == loads_case(f'[{section}]\n{field} = "unknown"\n')

    def test_false_and_zero_are_not_unknown(self) -> None:
        """false and 0 are known values."""
        case = loads_case("[money]\ncharitable_status = false\n[ownership]\nemployee_pct = 0\n")

        assert (False, 0) == (case.money.charitable_status, case.ownership.employee_pct)

    def test_unknown_is_left_out_when_written(self) -> None:
        """Unknown facts and empty sections are not written."""
        data = case_to_dict(Case(money=Money(charitable_status=False)))

        assert {"money": {"charitable_status": False}} == data


# --- round trips ---------------------------------------------------------------------------

@pytest.mark.slow  # a long run: in the full suite (CI)
@given(cases())
def test_toml_round_trip(case: Case) -> None:
    """dump_case then loads_case gives back an equal case (TOML)."""
    assert case == loads_case(dump_case(case))


@pytest.mark.slow  # a long run: in the full suite (CI)
@given(cases())
def test_json_round_trip(case: Case) -> None:
    """dump_case then loads_case gives back an equal case (JSON)."""
    assert case == loads_case(dump_case(case, "json"), "json")


@pytest.mark.slow  # a long run: in the full suite (CI)
@given(case_dicts())
def test_dict_round_trip(data: dict[str, Any]) -> None:
    """case_from_dict accepts every valid dict, and case_to_dict gives the same case back."""
    case = case_from_dict(data)

    assert case == case_from_dict(case_to_dict(case))


@pytest.mark.slow  # a long run: in the full suite (CI)
@given(cases())
def test_dump_is_deterministic(case: Case) -> None:
    """Writing a case twice gives identical text (sets are written sorted)."""
    assert dump_case(case) == dump_case(loads_case(dump_case(case)))


# --- problems ------------------------------------------------------------------------------

class TestProblems:
    """Each kind of problem names the fact, what was found, what was expected and a fix."""

    def test_every_problem_in_one_pass(self) -> None:
        """Unknown section, misspelt fact, misspelt value, wrong type and range: all at once."""
        data = {
            "servce": {"parent_body": "council"},
            "ownership": {"employee_pc": 60, "community_pct": 120},
            "money": {"asset_lock": "requird"},
            "service": {"staff_count": "forty"},
        }

        expected = [
            "case.toml: servce: unknown key (expected name, notes or a section: service, "
            "ownership, money, membership, procurement, transfer); did you mean 'service'?",
            "case.toml: ownership.employee_pc: unknown fact (expected a fact of [ownership]); "
            "did you mean 'ownership.employee_pct'?",
            "case.toml: ownership.community_pct: invalid value (found 120; expected a number "
            "from 0 to 100)",
            "case.toml: money.asset_lock: invalid value (found 'requird'; expected one of "
            "required, preferred, not_wanted); did you mean 'required'?",
            "case.toml: service.staff_count: invalid value (found 'forty'; expected a whole "
            "number from 0 to 1,000,000)",
        ]

        assert expected == problems_of(data)

    def test_contradiction_reported_with_other_problems(self) -> None:
        """Stakes over 100% are reported in the same pass as a misspelt fact."""
        data = {"ownership": {"employee_pct": 60, "community_pct": 50},
                "service": {"parent_bdy": "council"}}

        assert ["ownership", "service.parent_bdy"] == sorted(
            p.split(": ")[1] for p in problems_of(data))

    @pytest.mark.parametrize(("data", "fragments"), [
        ({"ownership": {"employee_pct": 60, "community_pct": 30, "public_body_pct": 20}},
         ["ownership: the stakes add up to more than 100%", "found 110",
          "check each holder's percentage"]),
        ({"transfer": {"staff_transfer": False, "compulsory_transfer": True}},
         ["transfer.compulsory_transfer: a compulsory transfer needs staff to transfer"]),
        ({"transfer": {"pension_schemes": ["none", "lgps"]}},
         ["transfer.pension_schemes: 'none' cannot be combined with a scheme",
          "found ['lgps', 'none']"]),
        ({"money": {"profit_distribution": "reinvest_all", "investor_payout_pct": 10}},
         ["money.investor_payout_pct: investors cannot be paid when all profit is reinvested"]),
    ])
    def test_cross_field_contradictions(self, data: dict[str, Any], fragments: list[str]) -> None:
        """Facts that are each valid but contradict one another are reported with the source."""
        text = "\n".join(problems_of(data))

        assert [] == [f for f in fragments if f not in text]
        assert text.startswith("case.toml: ")

    def test_stakes_of_exactly_100_are_accepted(self) -> None:
        """Stakes adding up to exactly 100 (with float rounding) are not a contradiction."""
        case = case_from_dict({"ownership": {"employee_pct": 33.3, "community_pct": 33.3,
                                             "public_body_pct": 33.4}})

        assert 33.4 == case.ownership.public_body_pct

    @pytest.mark.parametrize(("data", "where", "found"), [
        ({"service": {"staff_count": 12.5}}, "service.staff_count", "12.5"),
        ({"service": {"staff_count": True}}, "service.staff_count", "True"),
        ({"service": {"staff_count": -1}}, "service.staff_count", "-1"),
        ({"ownership": {"employee_pct": "60%"}}, "ownership.employee_pct", "'60%'"),
        ({"ownership": {"employee_pct": float("nan")}}, "ownership.employee_pct", "nan"),
        ({"ownership": {"employee_pct": float("inf")}}, "ownership.employee_pct", "inf"),
        ({"money": {"charitable_status": "yes"}}, "money.charitable_status", "'yes'"),
        ({"money": {"charitable_status": 1}}, "money.charitable_status", "1"),
        ({"procurement": {"start_date": "31/12/2020"}}, "procurement.start_date",
         "'31/12/2020'"),
        ({"procurement": {"start_date": dt.datetime(2020, 1, 1, 12)}},  # noqa: DTZ001 (TOML local)
         "procurement.start_date",
         "datetime.datetime(2020, 1, 1, 12, 0)"),
        ({"service": {"categories": "health_care"}}, "service.categories", "'health_care'"),
        ({"service": {"parent_body": ["council"]}}, "service.parent_body", "['council']"),
        ({"service": {"cpv_codes": ["8500000"]}}, "service.cpv_codes", "['8500000']"),
        ({"service": 5}, "service", "5"),
        ({"name": 5}, "name", "5"),
    ])
    def test_invalid_value(self, data: dict[str, Any], where: str, found: str) -> None:
        """A value of the wrong type or range is reported at its fact with what was found."""
        [problem] = problems_of(data)

        assert problem.startswith(f"case.toml: {where}: ")
        assert f"found {found}" in problem

    def test_huge_name_is_shortened(self) -> None:
        """A huge string is reported shortened, not echoed in full."""
        [problem] = problems_of({"name": "é" * 20_000})

        assert "expected text of at most 10,000 characters" in problem
        assert len(problem) < 300

    def test_not_a_table(self) -> None:
        """A case that is not a table is one problem saying what it was."""
        assert ["case.toml: a case must be a table of sections (found 'list'; expected a dict "
                "/ TOML table / JSON object)"] == problems_of([1, 2])

    @pytest.mark.slow  # a long property run: in the full suite (CI)
    @given(invalid_case_dicts())
    def test_each_defect_reported_at_its_place(self, drawn: tuple[dict[str, Any],
                                                                  list[str]]) -> None:
        """Any mix of defects raises one CaseError with exactly one problem per defect."""
        data, wheres = drawn

        with pytest.raises(CaseError) as info:
            case_from_dict(data)

        assert wheres == sorted(p.where for p in info.value.problems)

    @given(st.dictionaries(
        st.one_of(st.sampled_from([*SECTIONS, *TOP_LEVEL]), st.text(max_size=10)),
        st.one_of(st.none(), st.integers(), st.text(max_size=10), st.dictionaries(
            st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=10)),
            st.one_of(st.none(), st.integers(), st.text(max_size=12), st.floats(),
                      st.booleans(), st.dates(), st.sampled_from(ENUM_VALUES),
                      st.lists(st.one_of(st.sampled_from(ENUM_VALUES), st.text(max_size=5),
                                         st.integers()), max_size=3)))),
        max_size=4))
    def test_arbitrary_data_gives_case_or_case_error(self, data: dict[str, Any]) -> None:
        """Any JSON-like data gives a Case or a CaseError, never another exception."""
        result: Case | CaseError
        try:
            result = case_from_dict(data)
        except CaseError as error:
            result = error

        assert isinstance(result, Case) or len(result.problems) > 0


# --- regressions: loader crashes found by this suite and fixed -------------------------------

@pytest.mark.parametrize("members", [[["lgps"]], [{"scheme": "lgps"}]])
def test_unhashable_set_member_is_a_case_error(members: list[Any]) -> None:
    """A list or table inside a set fact's list is reported as an invalid value."""
    problems = problems_of({"transfer": {"pension_schemes": members}})

    assert problems[0].startswith("case.toml: transfer.pension_schemes: invalid value")


def test_huge_integer_for_number_fact_is_a_case_error() -> None:
    """An integer too large for a float is out of range, reported as a problem."""
    [problem] = problems_of({"ownership": {"employee_pct": 10**400}})

    assert "expected a number from 0 to 100" in problem


@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_integer_literal_too_long_is_a_case_error(fmt: str) -> None:
    """A number with thousands of digits is a CaseError, not a crash."""
    digits = "1" * 5_000
    text = ('{"service": {"staff_count": ' + digits + "}}" if fmt == "json"
            else f"[service]\nstaff_count = {digits}\n")

    with pytest.raises(CaseError):
        loads_case(text, fmt)


@pytest.mark.parametrize("code", ["85000000-9\n", "٨٥٠٠٠٠٠٠"])
def test_cpv_codes_are_ascii_digits_only(code: str) -> None:
    """A CPV code with a trailing newline or non-ASCII digits is rejected."""
    problems_of({"service": {"cpv_codes": [code]}})


# --- one broken file per failure mode --------------------------------------------------------

@pytest.mark.parametrize(("name", "fragments"), [
    ("unknown_section.toml", ["unknown_section.toml: servce: unknown key",
                              "expected name, notes or a section: service",
                              "did you mean 'service'?"]),
    ("misspelt_fact.toml", ["misspelt_fact.toml: ownership.employee_pc: unknown fact",
                            "expected a fact of [ownership]",
                            "did you mean 'ownership.employee_pct'?"]),
    ("misspelt_enum.toml", ["misspelt_enum.toml: money.asset_lock: invalid value",
                            "found 'requird'", "expected one of required, preferred, not_wanted",
                            "did you mean 'required'?"]),
    ("misspelt_set_member.toml", ["misspelt_set_member.toml: transfer.pension_schemes",
                                  "found 'lgsp'", "expected a list drawn from lgps, nhs",
                                  "did you mean 'lgps'?"]),
    ("wrong_type.toml", ["wrong_type.toml: service.staff_count: invalid value",
                         "found 'forty'", "expected a whole number from 0 to 1,000,000"]),
    ("out_of_range.toml", ["out_of_range.toml: ownership.employee_pct: invalid value",
                           "found 120", "expected a number from 0 to 100"]),
    ("impossible_date.toml", ["impossible_date.toml: procurement.start_date: invalid value",
                              "found '2023-02-29'", "expected a date such as"]),
    ("contradictory_stakes.toml", ["contradictory_stakes.toml: ownership: the stakes add up "
                                   "to more than 100%", "found 110",
                                   "expected employee_pct + community_pct + public_body_pct "
                                   "+ private_partner_pct <= 100",
                                   "check each holder's percentage of the votes"]),
    ("compulsory_without_transfer.toml", ["compulsory_without_transfer.toml: "
                                          "transfer.compulsory_transfer", "found True",
                                          "while transfer.staff_transfer is false"]),
    ("malformed.toml", ["malformed.toml: invalid TOML", "line 2, column 23",
                        "expected a valid TOML document"]),
    # Python 3.13 points at the trailing comma, earlier versions at the brace after it
    ("malformed.json", ["malformed.json: invalid JSON",
                        f"line 1 column {38 if sys.version_info >= (3, 13) else 39}",
                        "expected a valid JSON document"]),
    ("not_a_table.json", ["not_a_table.json: a case must be a table of sections",
                          "found 'list'"]),
    ("not_utf8.toml", ["not_utf8.toml: not UTF-8 text", "expected a UTF-8 encoded file"]),
])
def test_bad_case_file(name: str, fragments: list[str]) -> None:
    """Each broken case file is one CaseError naming the file, the fact, found, expected, fix."""
    with pytest.raises(CaseError) as info:
        load_case(BAD_CASES / name)
    text = str(info.value)

    assert [] == [f for f in fragments if f not in text], text
    assert 1 == len(info.value.problems)


def test_bad_case_file_with_many_problems() -> None:
    """A file with five problems reports all five, in file order, each with the file name."""
    with pytest.raises(CaseError) as info:
        load_case(BAD_CASES / "many_problems.toml")

    assert ["servce", "ownership.employee_pc", "ownership.employee_pct", "money.asset_lock",
            "service.staff_count"] == [p.where for p in info.value.problems]
    assert {str(BAD_CASES / "many_problems.toml")} == {p.source for p in info.value.problems}
    assert str(info.value).startswith("5 problems in the case:\n")


def test_every_bad_case_file_is_tested() -> None:
    """Each file under tests/bad_cases has a test above (so none is silently unused)."""
    tested = {"unknown_section.toml", "misspelt_fact.toml", "misspelt_enum.toml",
              "misspelt_set_member.toml", "wrong_type.toml", "out_of_range.toml",
              "impossible_date.toml", "contradictory_stakes.toml",
              "compulsory_without_transfer.toml", "malformed.toml", "malformed.json",
              "not_a_table.json", "not_utf8.toml", "many_problems.toml"}

    assert tested == {p.name for p in BAD_CASES.iterdir()}
