"""Advice as text an adviser reads: plain text for the terminal and Markdown for papers.

Two depths: ``summary`` (recommendation, reasons, alternatives, route, risks, unknowns,
sources) and ``full`` (the same plus every rule of the trace with the facts it read).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from formselect.advice import Advice, FormStatus, Outcome, RouteStatus, Status, TraceStep
from formselect.pack.model import Reference

from .labels import ask_next, facts_given, question, regime_name, shown_value, status_words

__all__ = ["headline", "render_markdown", "render_text", "shown_value", "sources"]
# shown_value lives in labels; it is kept here for the modules that read it from text

_ROUTE_WORDS = {status: status_words(status) for status in RouteStatus}


def _steps_by_id(advice: Advice) -> dict[str, TraceStep]:
    return {s.rule_id: s for s in advice.trace}


def headline(advice: Advice) -> str:
    names = {o.id: o.name for o in advice.ranking}
    if advice.status is Status.RECOMMENDED and advice.recommended:
        return f"Recommended form: {names[advice.recommended]}"
    if advice.status is Status.TIE:
        tied = [o.name for o in advice.ranking if o.status is FormStatus.TIED]
        first = names.get(advice.recommended or "", "")
        if all(o.score == 0 for o in advice.ranking if o.status is FormStatus.TIED):
            lead = ("No rule points to a form yet: the facts given do not favour any of "
                    f"the {len(tied)} forms still possible")
        else:
            lead = "No single form stands out between: " + "; ".join(tied)
        return lead + (f" (most common first: {first})" if first else "")
    if advice.status is Status.OUT_OF_COVERAGE:
        return "Out of coverage: the date is before the law this rule pack covers"
    return "No viable form: every form is ruled out by the facts given."


def decisive_rules(advice: Advice) -> set[str]:
    """The rules behind the outcome an adviser reads: the leaders' reasons, the exclusions,
    the recommended route's reasons and steps, and the risks."""
    rules: set[str] = {r.rule_id for r in advice.risks}
    for option in advice.ranking:
        if option.status in (FormStatus.RECOMMENDED, FormStatus.TIED):
            rules.update(option.favoured_by)
        rules.update(option.excluded_by)
    route_id = advice.procurement.recommended_route
    if route_id:
        route = advice.procurement.route(route_id)
        rules.update(route.favoured_by)
        rules.update(s.rule_id for s in route.steps)
    return rules


def sources(advice: Advice, full: bool = False) -> list[Reference]:
    """The law behind the summary (or, in full, behind every rule that fired)."""
    decisive = decisive_rules(advice)
    seen: dict[str, Reference] = {}
    for step in advice.trace:
        if step.outcome is Outcome.FIRED and (full or step.rule_id in decisive):
            for ref in step.references:
                seen.setdefault(ref.url + ref.provision, ref)
    return list(seen.values())


def _lines(advice: Advice, full: bool, md: bool) -> Iterable[str]:
    steps = _steps_by_id(advice)
    name = advice.case.name or "unnamed case"
    h1, h2, bullet = ("# ", "## ", "- ") if md else ("", "", "  - ")
    yield f"{h1}formselect advice: {name}, as at {advice.as_of.isoformat()}"
    yield f"Rules {advice.rules_version}; formselect {advice.formselect_version}. " \
          "Decision support, not legal advice."
    yield ""
    yield from _facts_given(advice, h2, bullet)
    if advice.unknown_facts:
        yield f"{h2}Assumptions and unknowns"
        yield "Facts not given that rules needed (answers could change the advice):"
        yield from (f"{bullet}{question(f)} ({f})" for f in advice.unknown_facts)
        yield ""
    yield f"{h2}{headline(advice)}"
    yield from _why_the_leaders(advice, steps, bullet)
    leader = [o for o in advice.ranking if o.status in (FormStatus.RECOMMENDED, FormStatus.TIED)]
    yield f"{h2}Why not the other forms"
    for option in advice.ranking:
        if option in leader:
            continue
        if option.status is FormStatus.EXCLUDED:
            reasons = "; ".join(f"[{r}] {steps[r].title}" for r in option.excluded_by)
            yield f"{bullet}{option.name}: ruled out — {reasons}"
        else:
            yield f"{bullet}{option.name}: viable, outranked (score {option.score})"
    yield ""
    yield from _procurement(advice, h2, bullet)
    asks = ask_next(advice)
    if asks:
        yield f"{h2}What to ask next"
        yield from (f"{bullet}{text} ({fact})" for fact, text in asks)
        yield ""
    if advice.risks:
        yield f"{h2}Risks"
        for risk in advice.risks:
            tag = f"[{risk.severity.upper()}] [{risk.rule_id}] {risk.title}"
            yield f"{bullet}{tag}" + (f" — mitigation: {risk.mitigation}" if risk.mitigation
                                      else "")
        yield ""
    if advice.notes:
        yield f"{h2}Notes"
        yield from (f"{bullet}{n}" for n in advice.notes)
        yield ""
    yield f"{h2}Sources"
    for ref in sources(advice, full):
        yield f"{bullet}{_md_link(ref) if md else ref}"
    if full:
        yield ""
        yield f"{h2}Audit trace (every rule, in order)"
        for step in advice.trace:
            yield from _trace_step(step, bullet, md)


def _facts_given(advice: Advice, h2: str, bullet: str) -> Iterable[str]:
    given = facts_given(advice)
    yield f"{h2}Facts given"
    if given:
        yield from (f"{bullet}{description.rstrip('.')}: {value} ({fact})"
                    for fact, description, value in given)
    else:
        yield "The case gives no facts."
    yield ""


def _why_the_leaders(advice: Advice, steps: dict[str, TraceStep],
                     bullet: str) -> Iterable[str]:
    """The confidence, every point of the leaders' scores, and how a tie was ordered."""
    names = {o.id: o.name for o in advice.ranking}
    if advice.confidence is not None:
        yield f"Confidence: {advice.confidence.summary}"
    leader = [o for o in advice.ranking if o.status in (FormStatus.RECOMMENDED, FormStatus.TIED)]
    for option in (o for o in leader if o.favoured_by):
        yield f"Why {option.name} (score {option.score}):"
        for point in option.points:
            step = steps[point.rule_id]
            because = f" — {point.because}" if point.because else ""
            yield (f"{bullet}+{point.weight} [{point.rule_id}] {step.title}{because}"
                   + (" (analysis)" if step.analysis else ""))
    tie = advice.tie_break
    if tie is not None:
        order = ", ".join(f"{names.get(f, f)} ({advice.form(f).prior_rank})" for f in tie.tied)
        yield (f"Tie: ordered by how common each form is ({tie.prior}): {order}."
               if tie.by == "prior" else
               "Tie: the rule pack has no prior that separates these forms, so none is "
               "recommended.")
        if tie.question is not None:
            yield (f"To separate them, ask: {tie.question.question} ({tie.question.fact}; "
                   f"rules {', '.join(tie.question.rules)})")
    yield ""


def _procurement(advice: Advice, h2: str, bullet: str) -> Iterable[str]:
    proc = advice.procurement
    regime = f" (regime: {regime_name(proc.regime)})" if proc.regime else ""
    yield f"{h2}Procurement{regime}"
    if proc.recommended_route:
        route = proc.route(proc.recommended_route)
        yield f"Recommended route: {route.name} — {_ROUTE_WORDS[route.status]}"
        for number, step in enumerate(route.steps, 1):
            yield f"  {number}. {step.text} [{step.rule_id}]"
    elif proc.note:
        yield proc.note
    else:
        yield "No route could be recommended from the facts given."
    for route in proc.routes:
        if route.status is RouteStatus.UNDETERMINED:
            continue
        why = route.excluded_by if route.status is RouteStatus.NOT_AVAILABLE \
            else route.favoured_by
        yield f"{bullet}{route.name}: {_ROUTE_WORDS[route.status]} ({', '.join(why)})"
    if proc.conditional:
        yield "Less burdensome routes the unknown facts could open:"
        yield from (f"{bullet}{c.text}" for c in proc.conditional)
    yield ""


def _trace_step(step: TraceStep, bullet: str, md: bool) -> Iterable[str]:
    flag = " [analysis]" if step.analysis else ""
    yield f"{bullet}{step.rule_id} {step.outcome.value.replace('_', ' ').upper()}: " \
          f"{step.title}{flag}"
    if step.outcome is Outcome.NOT_IN_FORCE:
        until = step.valid_until.isoformat() if step.valid_until else "open"
        yield f"    in force {step.valid_from.isoformat()} to {until}"
        return
    for test in step.tests:
        mark = {True: "yes", False: "no", None: "unknown"}[test.result]
        yield f"    {test.test}: {mark} (value: {shown_value(test.value)})"
    if step.outcome is Outcome.FIRED and step.conclusion:
        yield f"    => {step.conclusion}"
    if step.caveat:
        yield f"    caveat: {step.caveat}"
    for ref in step.references:
        yield f"    law: {_md_link(ref) if md else ref}"


def render_text(advice: Advice, depth: str = "summary") -> str:
    """Plain text for a terminal; ``depth`` is ``"summary"`` or ``"full"``."""
    return "\n".join(_lines(advice, depth == "full", md=False)).rstrip() + "\n"


def render_markdown(advice: Advice, depth: str = "summary") -> str:
    """Markdown for a cabinet paper or a staff consultation. Text from the case and the
    rules is escaped (no raw HTML reaches the reader); only http(s) references are links."""
    lines = (_md_text(line) for line in _lines(advice, depth == "full", md=True))
    return "\n".join(lines).rstrip() + "\n"


def is_web_link(url: str) -> bool:
    """Whether ``url`` is an http(s) address, the only links a report makes."""
    return url.lower().startswith(("https://", "http://"))


# characters kept as they are in a link's address; everything else (spaces, brackets,
# parentheses, quotes) is percent-encoded so that it cannot end the link
_URL_SAFE = ":/?#@!$&*+,;=%~-._"


def _md_link(ref: Reference) -> str:
    text = f"{ref.instrument}, {ref.provision}".replace("[", "\\[").replace("]", "\\]")
    if not is_web_link(ref.url):
        return text
    return f"[{text}]({quote(ref.url, safe=_URL_SAFE)})"


def _md_text(line: str) -> str:
    """A Markdown line with HTML's special characters as entities: a case name such as
    ``<img onerror=...>`` is shown, never run."""
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
