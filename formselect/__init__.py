"""formselect: the legal form and lawful contract route for a public service mutual.

Decision support, not legal advice. Start with :func:`advise`::

    >>> import formselect
    >>> advice = formselect.advise("examples/epic_cic_kensington.toml")  # doctest: +SKIP
"""

from .advice import (
    Advice,
    Certainty,
    FormStatus,
    OpenPoint,
    OptionScore,
    Outcome,
    Procurement,
    RiskItem,
    RouteAdvice,
    RouteStatus,
    Status,
    StepItem,
    Test,
    TraceStep,
)
from .api import advise, assess, builtin_pack, load_rules, version
from .batch import BatchResult, BatchRow, advise_many, advise_stream
from .case import Case, Membership, Money, Ownership, Service, Transfer
from .case import Procurement as ProcurementFacts
from .case_io import case_from_dict, case_to_dict, dump_case, load_case, loads_case
from .decide import Standing
from .engine import Backend
from .errors import CaseError, EngineError, FormselectError, Problem, RulePackError
from .grid import GridTable, grid
from .pack import Pack, Reference, Rule, Severity
from .questions import Interview, Question, next_questions
from .render import render_markdown, render_text
from .report_html import render_html
from .scenarios import Scenario, ScenarioResult, load_scenarios, run_scenario, run_scenarios
from .serialize import advice_from_json, advice_to_dict, advice_to_json
from .vocabulary import case_facts
from .whatif import AdviceDiff, Flip, SweepRow, diff, flips, sweep, what_if
from .whynot import Blocker, Change, Counterfactual, WhyNot, why_not

__version__ = version()

__all__ = [
    "Advice",
    "AdviceDiff",
    "Backend",
    "BatchResult",
    "BatchRow",
    "Blocker",
    "Case",
    "CaseError",
    "Certainty",
    "Change",
    "Counterfactual",
    "EngineError",
    "Flip",
    "FormStatus",
    "FormselectError",
    "GridTable",
    "Interview",
    "Membership",
    "Money",
    "OpenPoint",
    "OptionScore",
    "Outcome",
    "Ownership",
    "Pack",
    "Problem",
    "Procurement",
    "ProcurementFacts",
    "Question",
    "Reference",
    "RiskItem",
    "RouteAdvice",
    "RouteStatus",
    "Rule",
    "RulePackError",
    "Scenario",
    "ScenarioResult",
    "Service",
    "Severity",
    "Standing",
    "Status",
    "StepItem",
    "SweepRow",
    "Test",
    "TraceStep",
    "Transfer",
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
