"""A picture of the decision: the fired rules as a Graphviz DOT graph (SVG when the optional
``graphviz`` package and its ``dot`` program are installed)."""

from __future__ import annotations

from formselect.advice import Advice, Outcome
from formselect.errors import FormselectError

__all__ = ["to_dot", "to_svg"]


def _q(text: object) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(advice: Advice) -> str:
    """Facts -> fired rules -> derived facts, forms and routes, as DOT text."""
    lines = ["digraph formselect {", "  rankdir=LR; node [fontname=Helvetica fontsize=10];"]
    pack = advice.pack
    names = {o.id: o.name for o in advice.ranking}
    names.update({r.id: r.name for r in advice.procurement.routes})
    for step in advice.trace:
        if step.outcome is not Outcome.FIRED:
            continue
        rule = _q(step.rule_id)
        lines.append(f"  {rule} [shape=box label={_q(step.rule_id + ': ' + step.title)}];")
        for test in step.tests:
            node = _q(f"{test.fact} = {test.value}") if "." in test.fact else _q(test.fact)
            lines.append(f"  {node} [shape=ellipse];")
            lines.append(f"  {node} -> {rule};")
        rule_obj = pack.rule(step.rule_id) if pack is not None else None
        if rule_obj is None:
            continue
        for name in rule_obj.derive:
            lines.append(f"  {rule} -> {_q(name)};")
        for option in rule_obj.exclude:
            lines.append(f"  {rule} -> {_q(names.get(option, option))} [color=red "
                         "label=excludes];")
        for option, weight in rule_obj.favour.items():
            lines.append(f"  {rule} -> {_q(names.get(option, option))} [color=darkgreen "
                         f"label=\"+{weight}\"];")
    if advice.recommended:
        lines.append(f"  {_q(names[advice.recommended])} [shape=doubleoctagon "
                     "style=filled fillcolor=palegreen];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_svg(advice: Advice) -> str:
    """The DOT graph rendered as SVG (needs ``pip install graphviz`` and Graphviz itself)."""
    try:
        import graphviz  # type: ignore[import-not-found]  # noqa: PLC0415 (optional)
    except ImportError:
        raise FormselectError("to_svg needs the optional graphviz package: "
                              "pip install 'formselect[graphviz]'") from None
    try:
        svg = graphviz.Source(to_dot(advice)).pipe(format="svg")
    except graphviz.ExecutableNotFound:
        raise FormselectError("to_svg needs the Graphviz 'dot' program "
                              "(e.g. apt-get install graphviz)") from None
    return svg.decode("utf-8") if isinstance(svg, bytes) else str(svg)
