"""Advice as JSON for tools, through cattrs; reads back into an equal Advice."""

from __future__ import annotations

import datetime as dt
import json
from enum import Enum
from typing import Any

import cattrs

from formselect.advice import Advice
from formselect.case.io import case_from_dict, case_to_dict
from formselect.case.model import Case
from formselect.decide import json_value
from formselect.errors import FormselectError

__all__ = ["advice_from_json", "advice_to_dict", "advice_to_json", "render_json"]


def _converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    conv.register_structure_hook(dt.date, lambda v, _: dt.date.fromisoformat(v))
    conv.register_unstructure_hook(Enum, lambda e: e.value)
    conv.register_unstructure_hook(
        Case, lambda c: {k: json_value(v) if not isinstance(v, dict) else
                         {f: json_value(x) for f, x in v.items()}
                         for k, v in case_to_dict(c).items()})
    conv.register_structure_hook(Case, lambda v, _: case_from_dict(v))
    conv.register_structure_hook_func(lambda t: t is object, lambda v, _: v)
    return conv


CONVERTER = _converter()


def advice_to_dict(advice: Advice) -> dict[str, Any]:
    """The advice as JSON-ready data; adds ``excluded`` for convenience."""
    data: dict[str, Any] = CONVERTER.unstructure(advice)
    data.pop("pack", None)
    data.pop("engine", None)  # every engine gives the same advice (see Advice.engine)
    data["excluded"] = {k: list(v) for k, v in advice.excluded.items()}
    return data


def advice_to_json(advice: Advice, indent: int | None = 2) -> str:
    """The advice as JSON text (keys sorted, so equal advice gives byte-identical text)."""
    return json.dumps(advice_to_dict(advice), indent=indent, sort_keys=True,
                      ensure_ascii=False) + "\n"


def render_json(advice: Advice, depth: str = "full") -> str:
    """The advice as JSON, the report format. ``full`` is all of it (it reads back into an
    equal Advice); ``summary`` keeps only the trace steps of the rules that fired, and says
    so with ``"depth": "summary"`` (it reads back with that shorter trace)."""
    if depth == "full":
        return advice_to_json(advice)
    data = advice_to_dict(advice)
    data["trace"] = [step for step in data["trace"] if step["outcome"] == "fired"]
    data["depth"] = "summary"
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def advice_from_json(text: str) -> Advice:
    """Read advice written by :func:`advice_to_json`."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise TypeError(f"a JSON {type(data).__name__}, not an object")
        data.pop("excluded", None)
        data.pop("depth", None)  # a summary: its trace holds the fired rules only
        return CONVERTER.structure(data, Advice)
    except RecursionError:
        raise FormselectError("not formselect advice JSON: nested too deeply") from None
    except (ValueError, TypeError, KeyError, AttributeError,
            cattrs.BaseValidationError) as exc:
        raise FormselectError(f"not formselect advice JSON: {exc}") from exc
