"""Loading rule packs: one broken pack per failure mode, all problems at once, the digest."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import attrs
import pytest

from formselect.case.kinds import FactKind
from formselect.conditions.syntax import atoms, parse
from formselect.errors import RulePackError
from formselect.pack.load import MAX_FILE_BYTES, load_pack
from formselect.pack.model import Pack, Severity
from tests.conftest import BAD_PACKS, MINI_PACK

LEGISLATION = "https://www.legislation.gov.uk/"
STATUTE = re.compile(r"\b(Act|Regulations|Order)\b.*\b\d{4}\b|\bSI \d{4}/\d+")


def pack_error(path: Path) -> RulePackError:
    """The RulePackError that loading ``path`` raises (fails the test if it loads)."""
    with pytest.raises(RulePackError) as info:
        load_pack(path)
    return info.value


# --- one broken pack per failure mode ----------------------------------------------------------

BAD = {
    "malformed_toml": ["malformed_toml/rules.toml: line 6, column 4: invalid TOML",
                       "Expected '=' after a key", "expected valid TOML 1.0"],
    "missing_reference": ["missing_reference/rules.toml:13: $.rule[0].references: "
                          "rule 'NO-REF': required key missing"],
    "empty_references": ["empty_references/rules.toml:13: $.rule[0].references",
                         "rule 'EMPTY-REF': no reference",
                         "expected at least one reference {instrument, provision, url}"],
    "law_before_validity": ["law_before_validity/rules.toml:10: $.rule[0].valid_from",
                            "rule 'LATE-START': the rule starts on 2008-04-01 but the law it "
                            "states was in force from 2006-01-31",
                            "expected valid_from = 2006-01-31",
                            "give the earlier period its own rule"],
    "route_available_from": ["route_available_from/rules.toml:5: $.route[0].available_from",
                             "only a form has an available_from date", "found '2015-02-26'"],
    "inverted_dates": ["inverted_dates/rules.toml:13: $.rule[0].valid_until",
                       "rule 'INVERTED': the rule ends on 2014-09-30 but starts on 2015-02-26",
                       "expected a date on or after valid_from (2015-02-26)"],
    "misspelt_fact": ["misspelt_fact/rules.toml:13: $.rule[0].when (column 1)",
                      "rule 'TYPO-FACT': unknown fact 'ownership.employee_pc'",
                      "did you mean 'ownership.employee_pct'?"],
    "misspelt_enum_value": ["misspelt_enum_value/rules.toml:13: $.rule[0].when (column 1)",
                            "rule 'TYPO-VALUE': \"requird\" is not a value of 'money.asset_lock'",
                            "expected one of required, preferred, not_wanted",
                            "did you mean 'required'?"],
    "wrong_operator": ["wrong_operator/rules.toml:13: $.rule[0].when (column 1)",
                       "rule 'WRONG-OP': operator '>' does not apply to "
                       "'money.charitable_status' (bool)", "found '>'", "expected ==, !="],
    "impossible_value": ["impossible_value/rules.toml:13: $.rule[0].when (column 1)",
                         "rule 'IMPOSSIBLE': impossible value for 'ownership.employee_pct'",
                         "found '150'", "expected a value from 0 to 100"],
    "unknown_option": ["unknown_option/rules.toml:13: $.rule[0].favour",
                       "rule 'UNKNOWN-OPTION': unknown form or route", "found 'alpah'",
                       "expected an id declared by [[form]] or [[route]]",
                       "did you mean 'alpha'?"],
    "unknown_key": ["unknown_key/rules.toml:13: $.rule[0]: rule 'UNKNOWN-KEY': "
                    "unknown key valid_form",
                    "did you mean 'valid_from'?",
                    "unknown_key/rules.toml:13: $.rule[0].valid_from: rule 'UNKNOWN-KEY': "
                    "required key missing"],
    "duplicate_id": ["duplicate_id/second.toml:1: $.rule[0].id",
                     "rule 'DUP-01': rule id used twice", "found 'DUP-01'",
                     "expected a unique id across all files", "first used in ",
                     "duplicate_id/first.toml"],
    "derivation_cycle": ["derivation_cycle/rules.toml", "rule 'CYCLE-A'",
                         "derived facts depend on each other in a cycle",
                         "found 'CYCLE-A -> CYCLE-B -> CYCLE-A'"],
    "underived_fact": ["underived_fact/rules.toml", "rule 'READS-ORPHAN'",
                       "the rule can never fire: it reads a derived fact that no rule derives",
                       "found 'orphan'", "expected a rule with derive = { orphan = ... }"],
    "no_effect": ["no_effect/rules.toml:13: $.rule[0]: rule 'NO-EFFECT': the rule has no effect",
                  "expected at least one of exclude, favour, prefer, derive, risk, step"],
    "statute_off_legislation": ["statute_off_legislation/rules.toml:13: "
                                "$.rule[0].references[0].url",
                                "rule 'OFF-LEGISLATION': statute must be cited on "
                                "legislation.gov.uk",
                                "found 'https://www.example.com/charities-act-2011'",
                                "expected an address starting https://www.legislation.gov.uk/"],
    "http_url": ["http_url/rules.toml:13: $.rule[0].references[0].url",
                 "rule 'HTTP-URL': reference URL must use https",
                 "found 'http://www.gov.uk/guidance'", "expected an https:// address"],
    "exclude_and_favour": ["exclude_and_favour/rules.toml:13: $.rule[0]",
                           "rule 'BOTH-WAYS': the rule both excludes and favours the same option",
                           "found ['alpha']"],
    "bad_severity": ["bad_severity/rules.toml:13: $.rule[0].risk.severity",
                     "rule 'BAD-SEVERITY': invalid severity", "found 'hihg'",
                     "expected one of low, medium, high, critical", "did you mean 'high'?"],
    "wrong_derive_type": ["wrong_derive_type/rules.toml:17: $.rule[0].derive.staff_led",
                          "rule 'WRONG-DERIVE': wrong value for the derived fact",
                          "found 'yes'", "expected bool"],
    "bad_fact_kind": ["bad_fact_kind/rules.toml:13: $.fact[0].kind: invalid kind",
                      "found 'boolean'", "expected one of bool, enum, number",
                      "did you mean 'bool'?"],
    "weight_out_of_range": ["weight_out_of_range/rules.toml:13: $.rule[0].favour.alpha",
                            "rule 'ZERO-WEIGHT': weight out of range (found 0; expected 1 to "
                            "100)", "$.rule[0].favour.beta", "found 101"],
    "years_since_not_date": ["years_since_not_date/rules.toml:13: $.rule[0].when (column 1)",
                             "years_since() needs a date fact; 'service.staff_count' is int"],
    "unknown_table": ["unknown_table/rules.toml: $: unknown key rules",
                      "expected one of pack, prior, form, route, fact, rule, property, weight",
                      "did you mean 'rule'?"],
    "engine_limit": ["engine_limit/rules.toml:13: $.rule[0].when",
                     "rule 'TOO-COMPLEX': condition too complex for the engine",
                     "the condition needs 16 and/or groups; the engine allows 15 per rule",
                     "split it into derived facts"],
    "too_precise": ["too_precise/rules.toml:13: $.rule[0].when (column 1)",
                    "rule 'TOO-PRECISE': number more precise than formselect compares",
                    "found '50.0001'", "at most 3 decimal places"],
    "wrong_field_type": ["wrong_field_type/rules.toml:13: $.rule[0].valid_from: "
                         "rule 'TEXT-DATE': wrong type",
                         "2010-01-01", "expected a date such as"],
    "unknown_property": ["unknown_property/rules.toml:25: $.rule[0].prefer.lok",
                         "rule 'PREFER-LOK': unknown property (found 'lok'; expected a "
                         "property declared by [[property]])", "did you mean 'lock'?"],
    "unknown_property_value": ["unknown_property_value/rules.toml:15: "
                               "$.form.alpha.properties.lock: unknown property value "
                               "(found 'statutary'; expected one of statutory, none)",
                               "did you mean 'statutory'?",
                               "unknown_property_value/rules.toml:25: $.rule[0].prefer.lock: "
                               "rule 'PREFER-VALUE': unknown property value (found 'locked'"],
    "form_lacks_property": ["form_lacks_property/rules.toml:20: $.form.beta.properties: "
                            "form lacks properties (found 'lock'; expected a value for every "
                            "declared property"],
    "weight_without_preference": ["weight_without_preference/rules.toml:25: $.rule[0].weight",
                                  "rule 'LONE-WEIGHT': a weight without a preference "
                                  "(found 2; expected `prefer` with the weight, or no "
                                  "weight)"],
    "preference_weight_out_of_range": ["preference_weight_out_of_range/rules.toml:25: "
                                       "$.rule[0].weight: rule 'HEAVY': weight out of range "
                                       "(found 11; expected 1 to 10)"],
    "no_form_matches": ["no_form_matches/rules.toml:25: $.rule[0].prefer: rule 'NO-MATCH': "
                        "no form has these property values",
                        "expected values that at least one form has"],
    "weight_change_unknown_rule": ["weight_change_unknown_rule/rules.toml:35: $.weight.rule: "
                                   "rule 'PREFER-LOK': unknown rule (found 'PREFER-LOK'; "
                                   "expected the id of a rule with `prefer`)",
                                   "did you mean 'PREFER-LOCK'?"],
    "prior_unknown_form": ["prior_unknown_form/rules.toml:25: $.prior.order: unknown form "
                           "(found 'gamma'", "form listed twice (found 'alpha'"],
    "cpv_bad_code": ["cpv_bad_code/rules.toml:9: $.cpv_list[0].codes[1]: invalid CPV code "
                     "(found '8512100'", "expected eight digits, optionally with the check "
                     "digit (85000000-9)", "write the code as the provision prints it"],
    "cpv_unknown_list": ["cpv_unknown_list/rules.toml:16: $.rule[0].when (column 1)",
                         "rule 'CPV-UNKNOWN': unknown fact 'cpv_heath'",
                         "a CPV list's fact (cpv_<id>)", "did you mean 'cpv_health'?"],
    "cpv_incomplete_none": ["cpv_incomplete_none/rules.toml:17: $.rule[0].when (column 1)",
                            "rule 'CPV-NONE': \"none\" is not a value of 'cpv_health'",
                            "expected one of all"],
}
PROBLEM_COUNT = {"unknown_key": 2, "weight_out_of_range": 2, "unknown_property_value": 2,
                 "prior_unknown_form": 2}


@pytest.mark.parametrize(("name", "fragments"), sorted(BAD.items()))
def test_bad_pack_reports_location_and_fix(name: str, fragments: list[str]) -> None:
    """Each broken pack fails with a RulePackError naming file, location, found, expected, fix."""
    error = pack_error(BAD_PACKS / name)
    text = str(error)

    assert [] == [f for f in fragments if f not in text], text
    assert PROBLEM_COUNT.get(name, 1) == len(error.problems), text


def test_every_bad_pack_is_tested() -> None:
    """Each folder under tests/bad_packs is covered by a test (none is silently unused)."""
    assert {*BAD, "many_errors"} == {p.name for p in BAD_PACKS.iterdir() if p.is_dir()}


def test_syntax_error_column_is_reported() -> None:
    """A condition syntax error names the column within the condition."""
    error = pack_error(BAD_PACKS / "many_errors")
    [problem] = [p for p in error.problems if p.rule == "E-STATUTE" and "when" in p.where]

    assert "$.rule[0].when (column 28)" == problem.where
    assert problem.message.startswith("expected a fact name")


def test_many_errors_across_files_all_reported() -> None:
    """Every problem in every file (sub-folders included) comes in one RulePackError."""
    error = pack_error(BAD_PACKS / "many_errors")
    found = sorted((Path(p.source.partition(":")[0]).name, p.where, p.rule, p.message)
                   for p in error.problems)

    expected = sorted([
        ("b_broken.toml", "line 4, column 20", "", "invalid TOML: Illegal character '\\n'"),
        ("c_rules.toml", "$.rule[0].when (column 1)", "C-FACT",
         "unknown fact 'ownership.employe_pct'"),
        ("c_rules.toml", "$.rule[1].exclude", "C-OPTION", "unknown form or route"),
        ("c_rules.toml", "$.rule[2].references[0].url", "C-SEVERITY",
         "reference URL must use https"),
        ("c_rules.toml", "$.rule[2].risk.severity", "C-SEVERITY", "invalid severity"),
        ("d_more.toml", "$.rule[0].explanation", "D-KEY", "required key missing"),
        ("d_more.toml", "$.rule[0]", "D-KEY", "unknown key explaination"),
        ("d_more.toml", "$.rule[1].id", "C-FACT", "rule id used twice"),
        ("d_more.toml", "$.rule[2].valid_until", "D-DATES",
         "the rule ends on 2019-12-31 but starts on 2020-01-01"),
        ("e_nested.toml", "$.rule[0].references[0].url", "E-STATUTE",
         "statute must be cited on legislation.gov.uk"),
        ("e_nested.toml", "$.rule[0].when (column 28)", "E-STATUTE",
         "expected a fact name, found 'the end of the condition'"),
    ])

    assert expected == found
    assert str(error).startswith("11 problems in the rule pack:\n")


@pytest.mark.parametrize("name", ["underived_fact", "derivation_cycle"])
def test_cross_rule_problems_have_line_and_path(name: str) -> None:
    """A cross-rule problem points at its rule like the others: file:line and $.rule[i]."""
    [problem] = pack_error(BAD_PACKS / name).problems

    assert re.search(r"rules\.toml:\d+$", problem.source), problem.source
    assert problem.where.startswith("$.rule["), problem.where


@pytest.mark.parametrize("name", ["missing_reference", "unknown_key", "wrong_field_type"])
def test_schema_problems_have_line_and_rule(name: str) -> None:
    """A schema problem in a rule names the rule and the line it starts on."""
    for problem in pack_error(BAD_PACKS / name).problems:
        assert re.search(r"rules\.toml:\d+$", problem.source), problem.source
        assert problem.rule, problem


def test_wrong_type_found_is_quoted_once() -> None:
    """A wrongly typed value is shown once quoted, like every other found value."""
    text = str(pack_error(BAD_PACKS / "wrong_field_type"))

    assert "(found '2010-01-01';" in text, text


def test_no_spurious_underived_error(tmp_path: Path) -> None:
    """A deriving rule with a bad severity does not make its readers 'never fire'."""
    (tmp_path / "r.toml").write_text(_OPTIONS + """
[[fact]]
name = "x"
kind = "bool"

[[rule]]
id = "DERIVER"
title = "Derives x, with a misspelt severity"
when = 'money.charitable_status'
derive = { x = true }
risk = { severity = "hihg" }
explanation = "e"
valid_from = 2010-01-01
references = [{ instrument = "Guide", provision = "p", url = "https://example.org/" }]

[[rule]]
id = "READER"
title = "Reads x"
when = 'x'
favour = { alpha = 1 }
explanation = "e"
valid_from = 2010-01-01
references = [{ instrument = "Guide", provision = "p", url = "https://example.org/" }]
""", encoding="utf-8")

    assert ["DERIVER"] == [p.rule for p in pack_error(tmp_path).problems]


def test_duplicate_id_in_one_file_points_at_second(tmp_path: Path) -> None:
    """A duplicate id in one file is reported at the second rule's line."""
    rule = """
[[rule]]
id = "SAME"
title = "t"
when = 'money.charitable_status'
favour = { alpha = 1 }
explanation = "e"
valid_from = 2010-01-01
references = [{ instrument = "Guide", provision = "p", url = "https://example.org/" }]
"""
    (tmp_path / "r.toml").write_text(_OPTIONS + rule + rule, encoding="utf-8")
    [problem] = pack_error(tmp_path).problems
    # the second rule's [[rule]] header
    lines = (_OPTIONS + rule + rule).splitlines()
    second = [i for i, line in enumerate(lines, 1) if line == "[[rule]]"][-1]

    assert problem.source.endswith(f"r.toml:{second}")


_OPTIONS = """
[[form]]
id = "alpha"
name = "Alpha form"
"""


class TestFilesAndFolders:
    """What load_pack accepts as paths, and what it refuses."""

    def test_missing_path(self, tmp_path: Path) -> None:
        """A path that does not exist is a problem naming it."""
        [problem] = pack_error(tmp_path / "nowhere").problems

        assert ("no such file or folder", str(tmp_path / "nowhere")) == (problem.message,
                                                                        problem.source)

    def test_empty_folder(self, tmp_path: Path) -> None:
        """A folder without .toml files is a problem."""
        [problem] = pack_error(tmp_path).problems

        assert "no rule files (*.toml) in this folder" == problem.message

    def test_not_utf8(self, tmp_path: Path) -> None:
        """A rule file that is not UTF-8 is reported with the byte offset."""
        (tmp_path / "r.toml").write_bytes(b'# caf\xe9\n')
        [problem] = pack_error(tmp_path).problems

        assert ("byte 5", "not UTF-8 text") == (problem.where, problem.message)

    def test_file_too_large(self, tmp_path: Path) -> None:
        """A rule file over MAX_FILE_BYTES is refused without being parsed."""
        (tmp_path / "r.toml").write_text("#" * (MAX_FILE_BYTES + 1), encoding="utf-8")
        [problem] = pack_error(tmp_path).problems

        assert "rule file too large" == problem.message

    def test_several_paths_load_together(self, tmp_path: Path) -> None:
        """Files and folders given together form one pack."""
        shutil.copytree(MINI_PACK, tmp_path / "mini")
        (tmp_path / "mini" / "dated.toml").rename(tmp_path / "dated.toml")
        pack = load_pack(tmp_path / "mini", tmp_path / "dated.toml")

        assert load_pack(MINI_PACK).digest == pack.digest


# --- the mini pack -------------------------------------------------------------------------

class TestMiniPack:
    """The test pack loads into the structure its files describe."""

    def test_shape(self, mini_pack: Pack) -> None:
        """Options, derived facts, rule count and four derivation strata."""
        assert ("mini", "1") == (mini_pack.name, mini_pack.version)
        assert ["alpha", "beta", "gamma"] == [f.id for f in mini_pack.forms]
        assert ["open_route", "reserved_route"] == [r.id for r in mini_pack.routes]
        assert ("alpha", "beta") == mini_pack.options["reserved_route"].forms
        assert {"staff_led": FactKind.BOOL, "size_band": FactKind.ENUM,
                "mutual_ready": FactKind.BOOL, "readiness_score": FactKind.NUMBER} == {
                    d.name: d.kind for d in mini_pack.derived}
        assert 25 == len(mini_pack.rules)
        assert 4 == mini_pack.strata

    def test_uses_every_operator(self, mini_pack: Pack) -> None:
        """The pack exercises every operator, years_since, as_of, contains any and end dates."""
        used = [a for r in mini_pack.rules for a in atoms(r.condition)]

        assert {"==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains", "not contains",
                "known", "unknown"} == {a.op for a in used}
        assert any(a.measure == "years_since" for a in used)
        assert any(a.fact == "as_of" for a in used)
        assert any("contains any" in r.when for r in mini_pack.rules)
        assert any("_" in r.when.partition(">= ")[2] for r in mini_pack.rules)  # 663_540
        assert 2 == sum(r.valid_until is not None for r in mini_pack.rules)

    def test_strata_follow_derivations(self, mini_pack: Pack) -> None:
        """A rule's stratum is one more than the highest stratum deriving what it reads."""
        strata = {r.id: r.stratum for r in mini_pack.rules}

        assert (0, 0, 1, 2, 3) == (strata["D0-STAFF-YES"], strata["OP-IN"], strata["D1-READY"],
                                   strata["D2-SCORE-HIGH"], strata["L3-FAVOUR-ALPHA"])

    def test_rules_are_ordered_by_stratum_then_id(self, mini_pack: Pack) -> None:
        """pack.rules is sorted by (stratum, id), whatever the file order."""
        keys = [(r.stratum, r.id) for r in mini_pack.rules]

        assert sorted(keys) == keys

    def test_rule_fields(self, mini_pack: Pack) -> None:
        """A rule keeps its condition, effects, dates, references and source file."""
        rule = mini_pack.rule("L3-LOW-SCORE")

        assert parse(rule.when) == rule.condition
        assert rule.risk is not None
        assert (Severity.MEDIUM, ("reserved_route",)) == (rule.risk.severity,
                                                          rule.risk.applies_to)
        assert dt.date(2000, 1, 1) == rule.valid_from
        assert rule.source.endswith("facts.toml")
        assert ("readiness_score",) == rule.facts
        assert ("reserved_route",) == rule.options

    def test_in_force_is_inclusive(self, mini_pack: Pack) -> None:
        """valid_from and valid_until are both inclusive."""
        rule = mini_pack.rule("DT-OLD")

        assert [False, True, True, False] == [rule.in_force(d) for d in (
            dt.date(2006, 1, 30), dt.date(2006, 1, 31), dt.date(2014, 9, 30),
            dt.date(2014, 10, 1))]

    def test_unknown_rule_id(self, mini_pack: Pack) -> None:
        """pack.rule() raises KeyError for an id it does not hold."""
        with pytest.raises(KeyError):
            mini_pack.rule("NO-SUCH-RULE")


# --- the digest ----------------------------------------------------------------------------

def test_digest_ignores_file_names_and_order(tmp_path: Path) -> None:
    """Renaming, reordering and re-foldering the files leaves the digest unchanged."""
    original = load_pack(MINI_PACK)
    names = sorted(p.name for p in MINI_PACK.glob("*.toml"))
    # reversed sort order, new names, and one file moved into a sub-folder
    for i, name in enumerate(reversed(names)):
        folder = tmp_path / ("nested/deeper" if i == 0 else "")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(MINI_PACK / name, folder / f"{i:02d}_{name.upper()}.toml")
    copy = load_pack(tmp_path)

    assert original.digest == copy.digest
    assert [attrs.evolve(r, source="") for r in original.rules] == [
        attrs.evolve(r, source="") for r in copy.rules]


def test_digest_changes_with_content(tmp_path: Path) -> None:
    """Changing one rule's title changes the digest."""
    shutil.copytree(MINI_PACK, tmp_path / "p")
    dated = tmp_path / "p" / "dated.toml"
    dated.write_text(dated.read_text(encoding="utf-8").replace(
        "During a two-year window", "During a 2-year window"), encoding="utf-8")

    assert load_pack(MINI_PACK).digest != load_pack(tmp_path / "p").digest


# --- the built-in pack ---------------------------------------------------------------------

class TestBuiltinPack:
    """Every built-in rule carries its law and its dates."""

    def test_loads_with_rules_and_options(self, builtin_pack: Pack) -> None:
        """The built-in pack loads, with rules, forms and routes."""
        assert builtin_pack.rules
        assert builtin_pack.forms
        assert builtin_pack.routes

    def test_every_rule_has_a_reference_and_valid_from(self, builtin_pack: Pack) -> None:
        """Each rule cites at least one provision and says when it came into force."""
        assert [] == [r.id for r in builtin_pack.rules
                      if not r.references or not isinstance(r.valid_from, dt.date)]

    def test_every_reference_is_complete_and_https(self, builtin_pack: Pack) -> None:
        """Each reference has an instrument, a provision and an https URL."""
        assert [] == [(r.id, ref.url) for r in builtin_pack.rules for ref in r.references
                      if not (ref.instrument.strip() and ref.provision.strip()
                              and ref.url.startswith("https://"))]

    def test_statute_is_cited_on_legislation_gov_uk(self, builtin_pack: Pack) -> None:
        """Acts, Regulations, Orders and SIs are cited on legislation.gov.uk."""
        assert [] == [(r.id, ref.instrument, ref.url) for r in builtin_pack.rules
                      for ref in r.references
                      if STATUTE.search(ref.instrument) and not ref.url.startswith(LEGISLATION)]

    def test_dates_are_ordered(self, builtin_pack: Pack) -> None:
        """No rule ends before it starts."""
        assert [] == [r.id for r in builtin_pack.rules
                      if r.valid_until is not None and r.valid_until < r.valid_from]

    def test_every_rule_has_a_title_and_explanation(self, builtin_pack: Pack) -> None:
        """Each rule states its proposition and explains it."""
        assert [] == [r.id for r in builtin_pack.rules
                      if not r.title.strip() or not r.explanation.strip()]

    def test_route_forms_are_forms(self, builtin_pack: Pack) -> None:
        """Each form a route lists is a declared form."""
        forms = {f.id for f in builtin_pack.forms}

        assert [] == [(r.id, f) for r in builtin_pack.routes for f in r.forms if f not in forms]
