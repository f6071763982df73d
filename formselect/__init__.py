"""formselect: the legal form and lawful contract route for a public service mutual.

Decision support, not legal advice. Start with :func:`advise`::

    >>> import formselect
    >>> advice = formselect.advise("examples/epic_cic_kensington.toml")  # doctest: +SKIP
"""

from .advice import (
    Advice,
    FormStatus,
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
from .api import advise, builtin_pack, load_rules, version
from .case import Case, Membership, Money, Ownership, Service, Transfer
from .case import Procurement as ProcurementFacts
from .case_io import case_from_dict, case_to_dict, dump_case, load_case, loads_case
from .engine import Backend
from .errors import CaseError, EngineError, FormselectError, Problem, RulePackError
from .pack import Pack, Reference, Rule, Severity
from .render import render_markdown, render_text
from .serialize import advice_from_json, advice_to_dict, advice_to_json
from .vocabulary import case_facts

__version__ = version()

__all__ = [
    "Advice",
    "Backend",
    "Case",
    "CaseError",
    "EngineError",
    "FormStatus",
    "FormselectError",
    "Membership",
    "Money",
    "OptionScore",
    "Outcome",
    "Ownership",
    "Pack",
    "Problem",
    "Procurement",
    "ProcurementFacts",
    "Reference",
    "RiskItem",
    "RouteAdvice",
    "RouteStatus",
    "Rule",
    "RulePackError",
    "Service",
    "Severity",
    "Status",
    "StepItem",
    "Test",
    "TraceStep",
    "Transfer",
    "__version__",
    "advice_from_json",
    "advice_to_dict",
    "advice_to_json",
    "advise",
    "builtin_pack",
    "case_facts",
    "case_from_dict",
    "case_to_dict",
    "dump_case",
    "load_case",
    "load_rules",
    "loads_case",
    "render_markdown",
    "render_text",
    "version",
]
