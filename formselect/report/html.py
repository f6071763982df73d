"""Advice as a self-contained HTML page (no scripts, no external files), or a fragment for
Jupyter. Same sections as the text report: summary, form and route, why, why not, risks,
assumptions and unknowns, sources; the full depth adds the audit trace."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from formselect.advice import Advice, FormStatus, Outcome, RouteStatus, TraceStep
from formselect.pack.model import Reference

from .labels import ask_next, facts_given, question, regime_name, status_words
from .tables import NOTEBOOK_CSS
from .text import headline, is_web_link, sources

__all__ = ["render_html"]

_CSS = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.3em .5em;
text-align:left;vertical-align:top}th{background:#f4f4f4}.muted{color:#666}
.sev-critical,.sev-high{color:#a00;font-weight:bold}.sev-medium{color:#a60}
.fired{background:#eef8ee}.analysis{font-style:italic;color:#555}code{font-size:.9em}
"""


def _e(value: object) -> str:
    return escape(str(value))


def _section(title: str, body: Iterable[str]) -> str:
    return f"<h2>{_e(title)}</h2>\n" + "\n".join(body)


def _why(advice: Advice, steps: dict[str, TraceStep]) -> list[str]:
    """Every point of the leaders' scores, with the property each preference matched, and how
    a tie was ordered."""
    rows = []
    if advice.confidence is not None:
        rows.append(f"<p>Confidence: <b>{_e(advice.confidence.level)}</b> — "
                    f"{_e(advice.confidence.summary)}</p>")
    for option in advice.ranking:
        if option.status in (FormStatus.RECOMMENDED, FormStatus.TIED):
            items = "".join(
                f"<li>+{p.weight} [{_e(p.rule_id)}] {_e(steps[p.rule_id].title)}"
                + (f" <span class='muted'>— {_e(p.because)}</span>" if p.because else "")
                + (' <span class="analysis">(analysis)</span>' if steps[p.rule_id].analysis
                   else "") + "</li>" for p in option.points)
            rows.append(f"<p><b>{_e(option.name)}</b> (score {option.score})</p><ul>{items}</ul>")
    tie = advice.tie_break
    if tie is not None:
        names = {o.id: o.name for o in advice.ranking}
        if tie.by == "prior":
            rows.append(f"<p>Tie, ordered by how common each form is ({_e(tie.prior)}): "
                        + ", ".join(_e(names.get(f, f)) for f in tie.tied) + ".</p>")
        else:
            rows.append("<p>Tie: the rule pack has no prior that separates these forms, so "
                        "none is recommended.</p>")
        if tie.question is not None:
            rows.append(f"<p>To separate them, ask: <b>{_e(tie.question.question)}</b> "
                        f"<span class='muted'>({_e(tie.question.fact)})</span></p>")
    return rows or ["<p class='muted'>No rule favours a form on the facts given.</p>"]


def _why_not(advice: Advice, steps: dict[str, TraceStep]) -> list[str]:
    rows = ["<table><tr><th>Form</th><th>Standing</th><th>Because</th></tr>"]
    for option in advice.ranking:
        if option.status in (FormStatus.RECOMMENDED, FormStatus.TIED):
            continue
        if option.excluded_by:
            because = "<br>".join(f"[{_e(r)}] {_e(steps[r].title)}" for r in option.excluded_by)
        else:
            because = f"outranked (score {option.score})"
        rows.append(f"<tr><td>{_e(option.name)}</td><td>{_e(status_words(option.status))}"
                    f"</td><td>{because}</td></tr>")
    rows.append("</table>")
    return rows


def _route(advice: Advice) -> list[str]:
    proc = advice.procurement
    out = [f"<p>Regime: <b>{_e(regime_name(proc.regime))}</b></p>"]
    if proc.recommended_route:
        route = proc.route(proc.recommended_route)
        out.append(f"<p>Recommended route: <b>{_e(route.name)}</b> "
                   f"({_e(status_words(route.status))})</p>")
        if route.steps:
            out.append("<ol>" + "".join(f"<li>{_e(s.text)} <span class='muted'>"
                                        f"[{_e(s.rule_id)}]</span></li>" for s in route.steps)
                       + "</ol>")
    elif proc.note:
        out.append(f"<p>{_e(proc.note)}</p>")
    out.append("<table><tr><th>Route</th><th>Status</th><th>Rules</th></tr>")
    for route in proc.routes:
        if route.status is RouteStatus.UNDETERMINED:
            continue
        rules = route.excluded_by if route.status is RouteStatus.NOT_AVAILABLE \
            else route.favoured_by
        out.append(f"<tr><td>{_e(route.name)}</td><td>{_e(status_words(route.status))}</td>"
                   f"<td>{_e(', '.join(rules))}</td></tr>")
    out.append("</table>")
    if proc.conditional:
        out.append("<p>Less burdensome routes the unknown facts could open:</p><ul>"
                   + "".join(f"<li>{_e(c.text)}</li>" for c in proc.conditional) + "</ul>")
    return out


def _risks(advice: Advice) -> list[str]:
    if not advice.risks:
        return ["<p class='muted'>No risks flagged.</p>"]
    rows = ["<table><tr><th>Severity</th><th>Risk</th><th>Mitigation</th></tr>"]
    for risk in advice.risks:
        rows.append(f"<tr><td class='sev-{risk.severity.value}'>{_e(risk.severity.value)}</td>"
                    f"<td>[{_e(risk.rule_id)}] {_e(risk.title)}</td>"
                    f"<td>{_e(risk.mitigation)}</td></tr>")
    rows.append("</table>")
    return rows


def _facts_given(advice: Advice) -> list[str]:
    given = facts_given(advice)
    if not given:
        return ["<p class='muted'>The case gives no facts.</p>"]
    rows = "".join(f"<tr><td>{_e(description.rstrip('.'))} <span class='muted'><code>"
                   f"{_e(fact)}</code></span></td><td>{_e(value)}</td></tr>"
                   for fact, description, value in given)
    return [f"<table><tr><th>Fact</th><th>Value</th></tr>{rows}</table>"]


def _link(ref: Reference) -> str:
    """A reference, linked only when its address is http(s): advice read back from JSON
    can carry any text, and a javascript: link would run in the reader's browser."""
    text = f"{_e(ref.instrument)}, {_e(ref.provision)}"
    return f"<a href='{_e(ref.url)}'>{text}</a>" if is_web_link(ref.url) else text


def _trace(advice: Advice) -> list[str]:
    rows = ["<table><tr><th>Rule</th><th>Outcome</th><th>Facts read</th><th>Law</th></tr>"]
    for step in advice.trace:
        css = " class='fired'" if step.outcome is Outcome.FIRED else ""
        tests = "<br>".join(f"<code>{_e(t.test)}</code>: "
                            f"{_e({True: 'yes', False: 'no', None: 'unknown'}[t.result])} "
                            f"(value {_e('unknown' if t.value is None else t.value)})"
                            for t in step.tests)
        law = "<br>".join(_link(r) for r in step.references)
        title = _e(step.title) + (" <span class='analysis'>(analysis)</span>"
                                  if step.analysis else "")
        rows.append(f"<tr{css}><td>{_e(step.rule_id)}: {title}</td>"
                    f"<td>{_e(step.outcome.value.replace('_', ' '))}</td><td>{tests}</td>"
                    f"<td>{law}</td></tr>")
    rows.append("</table>")
    return rows


def render_html(advice: Advice, depth: str = "summary", fragment: bool = False) -> str:
    """A self-contained HTML page (or a fragment for a notebook)."""
    steps = {s.rule_id: s for s in advice.trace}
    name = advice.case.name or "unnamed case"
    parts = [f"<h1>formselect advice: {_e(name)}</h1>",
             f"<p class='muted'>As at {_e(advice.as_of.isoformat())}. Rules "
             f"{_e(advice.rules_version)}; formselect {_e(advice.formselect_version)}. "
             "Decision support, not legal advice.</p>",
             _section("Summary", [f"<p><b>{_e(headline(advice))}</b></p>"] +
                      [f"<p>{_e(n)}</p>" for n in advice.notes]),
             _section("Facts given", _facts_given(advice)),
             _section("Assumptions and unknowns",
                      ["<p>Facts not given that rules needed (answers could change the "
                       "advice):</p><ul>" + "".join(
                           f"<li>{_e(question(f))} <span class='muted'><code>{_e(f)}</code>"
                           "</span></li>" for f in advice.unknown_facts) + "</ul>"]
                      if advice.unknown_facts else ["<p>No fact the rules needed is missing.</p>"]),
             _section("Why this form", _why(advice, steps)),
             _section("Why not the others", _why_not(advice, steps)),
             _section("Procurement route", _route(advice)),
             _section("Risks and mitigations", _risks(advice)),
             *([_section("What to ask next", ["<ol>" + "".join(
                 f"<li>{_e(text)} <span class='muted'><code>{_e(fact)}</code></span></li>"
                 for fact, text in ask_next(advice)) + "</ol>"])] if ask_next(advice) else []),
             _section("Sources", ["<ul>" + "".join(
                 f"<li>{_link(r)}</li>" for r in sources(advice, depth == "full")) + "</ul>"])]
    if depth == "full":
        parts.append(_section("Audit trace", _trace(advice)))
    body = "\n".join(parts)
    if fragment:  # the styles travel with it, scoped, so that Jupyter's do not win
        return f"<div class='formselect'><style>{NOTEBOOK_CSS}</style>{body}</div>"
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>formselect advice: {_e(name)}</title><style>{_CSS}</style></head>"
            f"<body>\n{body}\n</body></html>\n")
