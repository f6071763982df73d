"""A picture of the decision: the fired rules as a Graphviz DOT graph (SVG when the optional
``graphviz`` package and its ``dot`` program are installed)."""

from __future__ import annotations

from formselect.advice import Advice, Outcome
from formselect.errors import FormselectError

from .labels import shown_value

__all__ = ["to_dot", "to_svg"]


def _q(text: object) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(advice: Advice) -> str:
    """Facts -> fired rules -> derived facts, forms and routes, as DOT text.

    Each node and edge is drawn once (a rule that reads a fact twice has one edge from it);
    facts are shown with the report's words (``unknown``, ``yes``/``no``), derived facts
    with the value they took. The graph is sized to fit a page or a notebook cell.
    """
    nodes: dict[str, str] = {}  # quoted id -> attributes
    edges: dict[tuple[str, str], str] = {}  # (from, to) -> attributes
    pack = advice.pack
    names = {o.id: o.name for o in advice.ranking}
    names.update({r.id: r.name for r in advice.procurement.routes})

    def fact_node(fact: str, value: object) -> str:
        return _q(f"{fact} = {shown_value(value)}")

    for step in advice.trace:
        if step.outcome is not Outcome.FIRED:
            continue
        rule = _q(step.rule_id)
        nodes[rule] = f"shape=box label={_q(step.rule_id + ': ' + step.title)}"
        for test in step.tests:
            value = test.value if "." in test.fact else advice.derived.get(test.fact)
            node = fact_node(test.fact, value)
            nodes.setdefault(node, "shape=ellipse")
            edges.setdefault((node, rule), "")
        rule_obj = pack.by_id.get(step.rule_id) if pack is not None else None
        if rule_obj is None:
            continue
        for name in rule_obj.derive:
            node = fact_node(name, advice.derived.get(name))
            nodes.setdefault(node, "shape=ellipse style=dashed")
            edges.setdefault((rule, node), "")
        for option in rule_obj.exclude:
            edges[(rule, _q(names.get(option, option)))] = "color=red label=excludes"
        for option, weight in rule_obj.favour.items():
            edges[(rule, _q(names.get(option, option)))] = \
                f"color=darkgreen label=\"+{weight}\""
    if advice.recommended:
        nodes[_q(names[advice.recommended])] = "shape=doubleoctagon style=filled " \
                                               "fillcolor=palegreen"
    lines = ["digraph formselect {",
             '  rankdir=LR; size="11,8"; ratio=compress; '
             "node [fontname=Helvetica fontsize=10];"]
    lines += [f"  {node} [{attributes}];" for node, attributes in nodes.items()]
    lines += [f"  {a} -> {b}" + (f" [{attributes}]" if attributes else "") + ";"
              for (a, b), attributes in edges.items()]
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_svg(advice: Advice) -> str:
    """The DOT graph rendered as SVG (needs ``pip install 'formselect[graphviz]'`` and the
    Graphviz ``dot`` program)."""
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
