"""Advice as pandas DataFrames for notebooks (pandas is an optional extra)."""

from __future__ import annotations

from typing import Any

from formselect.advice import Advice
from formselect.errors import FormselectError

__all__ = ["ranking_frame", "trace_frame"]


def _pandas() -> Any:
    try:
        import pandas  # type: ignore[import-untyped]  # noqa: PLC0415 (optional)
    except ImportError:
        raise FormselectError("this needs the optional pandas package: "
                              "pip install 'formselect[pandas]'") from None
    return pandas


def trace_frame(advice: Advice) -> Any:
    """One row per rule: id, title, outcome, facts read, conclusion, references."""
    rows = [{"seq": s.seq, "rule_id": s.rule_id, "title": s.title, "outcome": s.outcome.value,
             "facts": dict(s.facts), "conclusion": s.conclusion, "analysis": s.analysis,
             "valid_from": s.valid_from, "valid_until": s.valid_until,
             "references": "; ".join(str(r) for r in s.references)} for s in advice.trace]
    return _pandas().DataFrame(rows).set_index("seq")


def ranking_frame(advice: Advice) -> Any:
    """One row per form: score, status and the rules behind it."""
    rows = [{"form": o.id, "name": o.name, "score": o.score, "status": o.status.value,
             "favoured_by": ", ".join(o.favoured_by), "excluded_by": ", ".join(o.excluded_by)}
            for o in advice.ranking]
    return _pandas().DataFrame(rows).set_index("form")
