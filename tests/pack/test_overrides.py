"""An extension pack switches off or replaces a built-in rule by id, with its reason and
citation shown in the trace; ``rules check`` checks an extension with the built-in pack."""

from __future__ import annotations

from pathlib import Path

import pytest

import formselect as fs
from formselect.cli import main

PACKS = Path(__file__).resolve().parents[1] / "packs"
EPIC = Path(__file__).resolve().parents[2] / "examples" / "epic_cic_kensington.toml"
POLICY = PACKS / "extension" / "local_policy.toml"
REPLACE = PACKS / "extension_replace"
BAD = PACKS / "bad_overrides"


def test_a_switched_off_rule_stays_in_the_trace_and_never_fires() -> None:
    plain = fs.advise(EPIC)
    assert "LF-17" in plain.fired
    advice = fs.advise(EPIC, rules=fs.load_rules(POLICY))
    assert "LF-17" not in advice.fired
    step = advice.step("LF-17")
    assert step.conclusion.startswith(f"switched off: overridden by {POLICY}: the council "
                                      "does not weigh staff share ownership")
    assert step.references[-1].url == "https://www.example.gov.uk/social-value-policy"
    assert "LF-17" not in {r for o in advice.ranking for r in o.favoured_by}
    full = advice.render("text", "full")
    assert f"caveat: overridden by {POLICY}" in full


def test_a_replaced_rule_takes_the_extensions_effect_and_says_so() -> None:
    advice = fs.advise(EPIC, rules=fs.load_rules(REPLACE))
    pack = advice.pack
    assert pack is not None
    assert len(pack.rules) == len(fs.builtin_pack().rules)  # replaced, not added
    rule = pack.rule("LF-17")
    assert rule.weight == 2
    assert rule.title.endswith("(council policy)")
    assert "LF-17" in advice.fired
    assert "replaced by" in advice.step("LF-17").conclusion
    assert 2 == next(p.weight for o in advice.ranking for p in o.points
                     if p.rule_id == "LF-17")


def test_every_bad_override_is_reported_in_one_pass() -> None:
    with pytest.raises(fs.RulePackError) as caught:
        fs.load_rules(BAD)
    found = [(p.where, p.rule, p.message) for p in caught.value.problems]
    assert found == [
        ("$.override.rule", "LF-17x", "no rule of another pack to override"),
        ("$.override.reason", "LF-01", "no reason"),
        ("$.override.references", "LF-01", "no citation"),
        ("$.override.references[0].url", "LF-07", "not an https link")]
    assert caught.value.problems[0].suggestion == "did you mean 'LF-17'?"
    assert caught.value.problems[0].source.endswith("bad_overrides.toml:3")


def test_a_pack_without_overrides_keeps_its_digest() -> None:
    assert fs.builtin_pack().digest == fs.load_rules().digest


def test_rules_check_checks_an_extension_with_the_builtin_pack(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check", str(POLICY)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ok: {len(fs.builtin_pack().rules) + 1} rules")
    # on its own the extension names forms it does not declare: that is what --replace-rules
    # checks, as advise --replace-rules would apply it
    assert main(["rules", "check", "--replace-rules", str(POLICY)]) == 1
    assert "unknown form or route" in capsys.readouterr().err


def test_rules_check_of_the_builtin_files_does_not_load_them_twice(
        capsys: pytest.CaptureFixture[str]) -> None:
    from formselect.pack.builtin import builtin_rules_dir  # noqa: PLC0415
    assert main(["rules", "check", str(builtin_rules_dir())]) == 0
    assert capsys.readouterr().out.startswith(f"ok: {len(fs.builtin_pack().rules)} rules")
