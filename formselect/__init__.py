"""formselect: the legal form and lawful contract route for a public service mutual.

Decision support, not legal advice. Start with :func:`advise`::

    >>> import formselect
    >>> advice = formselect.advise("examples/epic_cic_kensington.toml")  # doctest: +SKIP
"""

import importlib
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import examples as examples  # formselect.examples.path("epic")
from .advice import (
    Advice,
    Certainty,
    Comparison,
    Confidence,
    FormStatus,
    OpenPoint,
    OptionScore,
    Outcome,
    ProcurementAdvice,
    RiskItem,
    RouteAdvice,
    RouteCondition,
    RouteStatus,
    ScorePoint,
    SeparatingQuestion,
    Status,
    StepItem,
    TieBreak,
    TraceStep,
    register_readers,
)
from .api import advise, assess, builtin_pack, load_rules, version
from .case.enums import (
    AssetLock,
    BoardControl,
    ChallengeStatus,
    DirectAwardGround,
    Initiator,
    Jurisdiction,
    MembershipModel,
    NhsContractType,
    OriginProgramme,
    ParentBody,
    PensionScheme,
    PlannedRoute,
    ProfitDistribution,
    ReservedProvision,
    ServiceCategory,
    StaffInfluence,
)
from .case.io import case_from_dict, case_to_dict, dump_case, load_case, loads_case
from .case.model import Case, Membership, Money, Ownership, Service, Transfer
from .case.model import Procurement as ProcurementFacts
from .case.vocabulary import case_facts
from .decide import Standing
from .deprecated import install, renamed
from .engine import Backend
from .errors import (
    CaseError,
    EngineError,
    FormselectError,
    Problem,
    ProblemsError,
    RulePackError,
    UnknownNameError,
)
from .pack.model import Pack, Prior, Property, PropertyValue, Reference, Rule, Severity

if TYPE_CHECKING:  # imported on first use (below), so that `import formselect` stays quick
    from . import report as report
    from .batch.grid import GridTable, grid
    from .batch.run import BatchResult, BatchRow, advise_many, advise_stream
    from .explain.questions import Interview, Question, next_questions
    from .explain.whatif import (
        AdviceDiff,
        Flip,
        Sweep,
        SweepRow,
        diff,
        flips,
        sweep,
        what_if,
    )
    from .explain.whynot import Blocker, Change, Counterfactual, WhyNot, why_not
    from .report.dot import to_dot as to_dot
    from .report.frames import trace_frame as trace_frame
    from .report.html import render_html
    from .report.json import advice_from_json, advice_to_dict, advice_to_json
    from .report.text import render_markdown, render_text
    from .scenarios import Scenario, ScenarioResult, load_scenarios, run_scenario, run_scenarios

# The first advice needs none of these: the report formats (and cattrs, for JSON) load when
# a report is first asked for, the batch, scenario and explanation modules likewise.
_LAZY = {
    "batch.run": ("BatchResult", "BatchRow", "advise_many", "advise_stream"),
    "batch.grid": ("GridTable", "grid"),
    "explain.questions": ("Interview", "Question", "next_questions"),
    "scenarios": ("Scenario", "ScenarioResult", "load_scenarios", "run_scenario",
                  "run_scenarios"),
    "explain.whatif": ("AdviceDiff", "Flip", "Sweep", "SweepRow", "diff", "flips", "sweep",
                       "what_if"),
    "explain.whynot": ("Blocker", "Change", "Counterfactual", "WhyNot", "why_not"),
    "report.dot": ("to_dot",),
    "report.frames": ("trace_frame",),
    "report.html": ("render_html",),
    "report.json": ("advice_from_json", "advice_to_dict", "advice_to_json"),
    "report.text": ("render_markdown", "render_text"),
}
_LAZY_NAMES = {name: module for module, names in _LAZY.items() for name in names}
_LAZY_MODULES = ("report",)  # subpackages that were attributes of the package once imported


def __getattr__(name: str) -> object:
    """Load the report, batch, scenario and explanation modules on first use (PEP 562); the
    old names ``Test`` and ``Procurement`` still work, with a DeprecationWarning."""
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    module = _LAZY_NAMES.get(name)
    if module is None:
        return renamed(__name__, name)
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


class _Readers:
    """Advice's convenience methods, served from this top floor so that the data module never
    imports its readers; the report and explanation modules still load on first use."""

    def why_not(self, advice: Advice, option: str) -> Any:
        return _lazy("why_not")(advice, option)

    def what_if(self, advice: Advice, changes: Mapping[str, object]) -> tuple[Advice, Any]:
        return _lazy("what_if")(advice, changes)  # type: ignore[no-any-return]

    def render(self, advice: Advice, fmt: str, depth: str) -> str:
        text: str = _lazy("report").render(advice, fmt, depth)
        return text

    def to_dot(self, advice: Advice) -> str:
        text: str = _lazy("to_dot")(advice)
        return text

    def trace_frame(self, advice: Advice) -> Any:
        return _lazy("trace_frame")(advice)

    def html_fragment(self, advice: Advice) -> str:
        text: str = _lazy("render_html")(advice, fragment=True)
        return text


def _lazy(name: str) -> Any:
    return __getattr__(name)


register_readers(_Readers())
# the old module paths (formselect.render, formselect.pack_io, ...), for one release
install(sys.modules[__name__])


def __dir__() -> list[str]:
    return sorted(__all__)


__version__ = version()

__all__ = [
    "Advice",
    "AdviceDiff",
    "AssetLock",
    "Backend",
    "BatchResult",
    "BatchRow",
    "Blocker",
    "BoardControl",
    "Case",
    "CaseError",
    "Certainty",
    "ChallengeStatus",
    "Change",
    "Comparison",
    "Confidence",
    "Counterfactual",
    "DirectAwardGround",
    "EngineError",
    "Flip",
    "FormStatus",
    "FormselectError",
    "GridTable",
    "Initiator",
    "Interview",
    "Jurisdiction",
    "Membership",
    "MembershipModel",
    "Money",
    "NhsContractType",
    "OpenPoint",
    "OptionScore",
    "OriginProgramme",
    "Outcome",
    "Ownership",
    "Pack",
    "ParentBody",
    "PensionScheme",
    "PlannedRoute",
    "Prior",
    "Problem",
    "ProblemsError",
    "ProcurementAdvice",
    "ProcurementFacts",
    "ProfitDistribution",
    "Property",
    "PropertyValue",
    "Question",
    "Reference",
    "ReservedProvision",
    "RiskItem",
    "RouteAdvice",
    "RouteCondition",
    "RouteStatus",
    "Rule",
    "RulePackError",
    "Scenario",
    "ScenarioResult",
    "ScorePoint",
    "SeparatingQuestion",
    "Service",
    "ServiceCategory",
    "Severity",
    "StaffInfluence",
    "Standing",
    "Status",
    "StepItem",
    "Sweep",
    "SweepRow",
    "TieBreak",
    "TraceStep",
    "Transfer",
    "UnknownNameError",
    "WhyNot",
    "__version__",
    "advice_from_json",
    "advice_to_dict",
    "advice_to_json",
    "advise",
    "advise_many",
    "advise_stream",
    "assess",
    "builtin_pack",
    "case_facts",
    "case_from_dict",
    "case_to_dict",
    "diff",
    "dump_case",
    "flips",
    "grid",
    "load_case",
    "load_rules",
    "load_scenarios",
    "loads_case",
    "next_questions",
    "render_html",
    "render_markdown",
    "render_text",
    "run_scenario",
    "run_scenarios",
    "sweep",
    "version",
    "what_if",
    "why_not",
]
