"""Backprop, one node at a time: the chain rule with the actual numbers, and a frame per step.

backward_steps(root) replays backward() on a copy of the gradients: it never changes the real `.grad`
of any Value (pass apply=True to run the real backward() afterwards). It follows backward()
exactly (reverse topological order, children in their recorded order, `grad += local * upstream`),
so its final gradients are bit-for-bit those backward() gives on a graph whose grads start at 0.

StepThrough(root) draws one graph per step: the node being processed in amber, the children it
sends gradient to in green, grads not reached yet in grey. It shows itself in a notebook, and
save_html(path) writes one self-contained page (inline SVG and a few lines of plain JavaScript).
"""

import html
import itertools
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..engine import Value, to_float
from ..files import write_atomically
from .graph import (
    Graph,
    _as_roots,
    _Style,
    _topological_order_of,
    parameter_names,
    values_source,
)
from .render import INSTALL_HINT, RendererNotFoundError

__all__ = ["ChainRuleTerm", "BackwardStep", "backward_steps", "final_grads", "StepThrough"]

STEPTHROUGH_MAX_NODES = 100  # one drawing per op: past this the page gets slow and nobody steps through it
CURRENT = "#ffd54f"  # amber: the node whose gradient is being passed on
RECEIVING = "#c8e6c9"  # green: the children receiving gradient in this step

# The local derivative of each op, written with the lesson's own names: {n} is the node, {x} and {y}
# its children as they appear in the drawing ({dx}, {dy}: "d" and the name), {v0} and {v1} the numbers
# the op recorded.
LOCAL_RULES = {
    "+": "d{n}/{dx} = 1 and d{n}/{dy} = 1",
    "*": "d{n}/{dx} = {y} = {v0} and d{n}/{dy} = {x} = {v1}: each factor's derivative is the other factor",
    "/": "d{n}/{dx} = 1/{y} = {v0} and d{n}/{dy} = -{x}/{y}² = {v1}",
    "**": "d{n}/{dx} = {y}·{x}**({y}-1) = {v0} and d{n}/{dy} = {x}**{y}·ln({x}) = {v1}",
    "exp": "d exp({x})/{dx} = exp({x}) = {v0}",
    "log": "d ln({x})/{dx} = 1/{x} = {v0}",
    "tanh": "d tanh({x})/{dx} = 1 - tanh({x})² = {v0}",
    "sigmoid": "d σ({x})/{dx} = σ({x})·(1 - σ({x})) = {v0}",
    "softplus": "d softplus({x})/{dx} = σ({x}) = {v0}",
    "relu": "d relu({x})/{dx} = (1 if {x} > 0, else 0) = {v0}",
    "abs": "d|{x}|/{dx} = sign({x}) = {v0}",
    "sqrt": "d sqrt({x})/{dx} = 1/(2·sqrt({x})) = {v0}",
    "sin": "d sin({x})/{dx} = cos({x}) = {v0}",
    "cos": "d cos({x})/{dx} = -sin({x}) = {v0}",
}
_PLAIN_NAME = re.compile(r"[\w.]+")  # a name that reads as one symbol inside a formula; others get brackets


@dataclass(frozen=True)
class ChainRuleTerm:
    """One child's share of a step: dL/dchild += dL/dnode * dnode/dchild."""

    child: Value
    child_name: str
    upstream: float  # dL/dnode: the gradient arriving at the node
    local: float  # dnode/dchild: the op's local derivative
    product: float  # what is added to the child's grad
    total: float  # the child's grad after adding it
    text: str  # e.g. "dL/da += dL/dc * dc/da = 2.0 * 3.0 = 6.0"


@dataclass(frozen=True)
class BackwardStep:
    """One node of the backward pass: its upstream gradient and what it adds to each child's grad."""

    number: int  # 0 seeds the output's gradient; then one step per op, in backward()'s order
    node: Value
    name: str
    upstream: float
    terms: tuple[ChainRuleTerm, ...]
    headline: str  # one line: "Step 2 of 5: c = a * b"
    text: str  # the headline, the local rule, and one line per term


def backward_steps(root: Value, gradient: float = 1.0, names: object = None, apply: bool = False) -> list[BackwardStep]:
    """Replay root.backward() one node at a time, without changing any `.grad` (unless apply=True).

    Step 0 seeds the output (dL/dL = 1.0); each next step takes one op, newest first, and adds
    upstream gradient times local derivative to each child's grad. names: a Module or a dict
    Value -> name (Values without a name or label are called v0, v1, ... as in draw_graph).
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps() takes the output Value, got {type(root).__name__}")
    gradient = to_float(gradient)
    order = _topological_order_of([root])
    names_of = _step_names(order, root, parameter_names(names))
    out = names_of[root]
    grads = dict.fromkeys(order, 0.0)
    grads[root] += gradient
    operations = [node for node in reversed(order) if node._children]
    total_steps = len(operations) + 1
    steps = [_seed_step(root, out, gradient, total_steps)]
    for number, node in enumerate(operations, start=1):
        upstream = grads[node]
        name = names_of[node]
        terms = []
        for child, local in zip(node._children, node._local_grads, strict=True):
            product = local * upstream
            grads[child] += product  # the same float operations, in the same order, as backward()
            terms.append(_term(out, name, names_of[child], child, upstream, local, product, grads[child]))
        arguments = ", ".join(names_of[child] for child in node._children)
        made = _made_by(node._op, [names_of[child] for child in node._children]) or f"{node._op}({arguments})"
        headline = f"Step {number} of {total_steps - 1}: {name} = {made}, with d{out}/d{name} = {_num(upstream)}"
        rule = _local_rule(node, name, [names_of[child] for child in node._children])
        lines = [headline] + ([f"  local derivative: {rule}"] if rule else []) + [f"  {term.text}" for term in terms]
        steps.append(BackwardStep(number, node, name, upstream, tuple(terms), headline, "\n".join(lines)))
    if apply:
        root.backward(gradient)
    return steps


def final_grads(steps: list[BackwardStep]) -> dict[Value, float]:
    """{Value: gradient} after the last step, what backward() leaves in `.grad` on a fresh graph."""
    if not steps:
        raise ValueError("final_grads() needs the list backward_steps() returned, got an empty list")
    grads = {steps[0].node: steps[0].upstream}
    for step in steps[1:]:
        for term in step.terms:
            grads[term.child] = term.total
    for node in grads:
        if not node._children and not node.requires_grad:
            grads[node] = 0.0  # backward() sets frozen parameters back to 0
    return grads


def _step_names(order: list[Value], root: Value, labels: Mapping[Value, str]) -> dict[Value, str]:
    names = {}
    for index, node in enumerate(order):
        names[node] = labels.get(node) or node.label or ("L" if node is root else f"v{index}")
    return names


def _seed_step(root: Value, out: str, gradient: float, total_steps: int) -> BackwardStep:
    headline = f"Start: d{out}/d{out} = {_num(gradient)}"
    text = (
        f"{headline}\n  the output's gradient with respect to itself starts the chain rule; "
        f"then {total_steps - 1} op{'s' if total_steps != 2 else ''} pass it back, newest first"
    )
    return BackwardStep(0, root, out, gradient, (), headline, text)


def _term(out, name, child_name, child, upstream, local, product, total) -> ChainRuleTerm:
    text = (
        f"d{out}/d{child_name} += d{out}/d{name} * d{name}/d{child_name} = "
        f"{_num(upstream)} * {_num(local)} = {_num(product)}"
    )
    if total != product:  # the child was reached before: gradients from every use add up
        text += f", so d{out}/d{child_name} is now {_num(total)}"
    if not child._children and not child.requires_grad:
        text += " (frozen: backward() sets it back to 0)"
    return ChainRuleTerm(child, child_name, upstream, local, product, total, text)


def _made_by(op: str, arguments: list[str]) -> str:
    if op in ("+", "*", "/", "**") and len(arguments) == 2:
        return f"{arguments[0]} {op} {arguments[1]}"
    if op.startswith("**") and len(arguments) == 1:
        return f"{arguments[0]}{op}"
    if op == "w·x+b" and 3 <= len(arguments) <= 7:
        n = (len(arguments) - 1) // 2
        products = " + ".join(f"{w}·{x}" for w, x in zip(arguments[:n], arguments[n:-1], strict=True))
        return f"{products} + {arguments[-1]}"
    return ""


def _local_rule(node: Value, name: str, child_names: list[str]) -> str:
    """The op's local derivative in words, with the node's and its children's own names and the numbers."""
    op, numbers = node._op, [_num(local) for local in node._local_grads]
    symbols = [child if _PLAIN_NAME.fullmatch(child) else f"({child})" for child in child_names]
    template = LOCAL_RULES.get(op)
    if template and len(child_names) == (2 if "{dy}" in template else 1):
        rule = template.format(
            n=name,
            x=symbols[0],
            y=symbols[-1],
            dx=f"d{child_names[0]}",
            dy=f"d{child_names[-1]}",
            v0=numbers[0],
            v1=numbers[-1],
        )
    elif op.startswith("**") and len(child_names) == 1:
        rule = f"d{name}/d{child_names[0]} = {_power_slope_formula(op[2:], symbols[0])} = {numbers[0]}"
    elif op == "w·x+b":
        rule = _linear_rule(name, child_names, numbers)
    else:  # an op this table does not know (one written in an exercise): the numbers it recorded
        parts = [f"d{name}/d{child} = {number}" for child, number in zip(child_names, numbers, strict=True)]
        rule = f"{' and '.join(parts)}, as the {op!r} op recorded"
    repeated = [child for child, uses in Counter(node._children).items() if uses > 1]
    for child in repeated:
        child_name = child_names[node._children.index(child)]
        uses = node._children.count(child)
        rule += f"; {child_name} is used {_times(uses)} here, so its {uses} terms below add up"
    return rule


def _power_slope_formula(exponent: str, x: str) -> str:
    """k·x**(k-1), written the way a teacher would: 2·x for k = 2, 1 for k = 1."""
    k = float(exponent)
    if k == 0.0:
        return "0"
    if k == 1.0:
        return "1"
    if k == 2.0:
        return f"2·{x}"
    power = f"{k - 1:g}"
    return f"{exponent}·{x}**{power if k > 1 else f'({power})'}"


def _linear_rule(name: str, child_names: list[str], numbers: list[str]) -> str:
    """d(w·x+b)/dw_i = x_i, d(w·x+b)/dx_i = w_i, d(w·x+b)/db = 1, with the first pairs written out."""
    n = (len(child_names) - 1) // 2
    weights, inputs, bias = child_names[:n], child_names[n:-1], child_names[-1]
    pairs = []
    for i in range(min(n, 2)):
        pairs.append(f"d{name}/d{weights[i]} = {inputs[i]} = {numbers[i]}")
        pairs.append(f"d{name}/d{inputs[i]} = {weights[i]} = {numbers[n + i]}")
    if not pairs:
        return f"d{name}/d{bias} = 1"
    more = ", ..." if n > 2 else ""
    return (
        f"each weight's derivative is its input and each input's is its weight ({', '.join(pairs)}{more}), "
        f"and d{name}/d{bias} = 1"
    )


def _times(uses: int) -> str:
    return {2: "twice", 3: "three times"}.get(uses, f"{uses} times")


def _num(x: float) -> str:
    """A short, exact-looking number for the chain-rule text: 6.0, -0.5, 0.00012, 1.5e-07."""
    text = f"{x:.6g}"
    if text.lstrip("-").isdigit():
        text += ".0"
    return text


# ---- frames and the page ---------------------------------------------------------------------


class StepThrough:
    """The backward pass as a sequence of graph frames; shows itself in a notebook, .save_html(path) for a browser."""

    def __init__(
        self,
        root: Value,
        gradient: float = 1.0,
        names: object = None,
        rankdir: str = "LR",
        max_nodes: int | None = STEPTHROUGH_MAX_NODES,
    ):
        roots = _as_roots(root)
        if len(roots) != 1:
            raise TypeError("StepThrough takes one output Value (backward() starts from one output)")
        order = _topological_order_of(roots)
        if max_nodes is not None and len(order) > max_nodes:
            raise ValueError(
                f"StepThrough draws one frame per op, and this graph has {len(order)} Values, more than "
                f"max_nodes={max_nodes}. Step through a smaller example (one neuron, one sample), "
                "or pass max_nodes=None to draw them all anyway."
            )
        self.root = roots[0]
        self.steps = backward_steps(self.root, gradient, names)
        labels = _step_names(order, self.root, parameter_names(names))
        self._untitled: list[Graph] = []
        self.frames = self._frames(order, labels, rankdir)

    def _frames(self, order: list[Value], labels: dict[Value, str], rankdir: str) -> list[Graph]:
        grads = dict.fromkeys(order, 0.0)
        pending = set(order)
        frames = []
        for step in self.steps:
            if step.number == 0:
                grads[step.node] = step.upstream
                pending.discard(step.node)
            for term in step.terms:
                grads[term.child] = term.total
                pending.discard(term.child)
            colours = {term.child: RECEIVING for term in step.terms}
            colours[step.node] = CURRENT
            style = _Style(
                rankdir=rankdir,
                colours=colours,
                grads=dict(grads),
                pending=frozenset(pending),
                hot_edges=frozenset((term.child, step.node) for term in step.terms),
                title=step.headline,
            )
            frames.append(Graph(values_source(order, labels, style), [self.root], labels, len(order)))
            style.title = ""  # the page prints the step's text above the picture instead
            self._untitled.append(Graph(values_source(order, labels, style), [self.root], labels, len(order)))
        return frames

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, index: int) -> Graph:
        return self.frames[index]

    def __repr__(self) -> str:
        # The page counts "Step 0 of N": frame 0 is the start (the forward values, the output's grad
        # seeded), then N backward steps, one per op.
        frames, operations = len(self.frames), len(self.steps) - 1
        start = self.steps[0].headline.removeprefix("Start: ")
        return (
            f"<StepThrough: {frames} frame{'s' if frames != 1 else ''}, the start ({start}) then "
            f"{operations} backward step{'s' if operations != 1 else ''}, one per op: "
            ".steps, .frames, .save_html('backprop.html')>"
        )

    def text(self) -> str:
        """Every step's chain-rule text, one block per step."""
        return "\n\n".join(step.text for step in self.steps)

    def html(self, element_id: str = "mgp-steps", standalone: bool = True) -> str:
        """The step-through as HTML: a whole page (standalone) or a fragment to embed in a notebook."""
        frames = "\n".join(
            f'<section class="mgp-frame" data-step="{i}">'
            f'<pre class="mgp-text">{html.escape(step.text)}</pre>'
            f'<div class="mgp-picture">{_frame_picture(frame)}</div></section>'
            for i, (step, frame) in enumerate(zip(self.steps, self._untitled, strict=True))
        )
        body = (
            f'<div class="mgp-steps" id="{element_id}" tabindex="0">\n'
            f'<div class="mgp-controls" hidden><button type="button" class="mgp-prev">◀ Prev</button> '
            f'<input type="range" class="mgp-slider" min="0" max="{len(self.frames) - 1}" value="0"> '
            f'<button type="button" class="mgp-next">Next ▶</button> <span class="mgp-counter"></span>'
            f'<span class="mgp-hint">(or the ← → keys)</span></div>\n'
            f'<p class="mgp-legend"><span style="background: {CURRENT}">passing its gradient back</span> '
            f'<span style="background: {RECEIVING}">receiving gradient</span> '
            f'<span style="color: #9e9e9e">grey grad: not reached yet</span></p>\n{frames}\n</div>\n'
            f"<style>{_CSS}</style>\n"
            f"<script>{_SCRIPT % {'id': element_id, 'scope': 'document' if standalone else 'box'}}</script>"
        )
        if not standalone:
            return body
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>Backpropagation, step by step: {html.escape(self.steps[0].name)}</title>\n"
            f"</head>\n<body>\n<h1>Backpropagation, step by step</h1>\n{body}\n</body>\n</html>\n"
        )

    def save_html(self, path: str | os.PathLike) -> Path:
        """Write one self-contained HTML page (no network needed) with prev/next buttons and the arrow keys."""
        path = _check_html_path(path)
        write_atomically(path, self.html())
        return path

    def _repr_html_(self) -> str:
        # A notebook display must never raise; each display gets its own element id.
        try:
            return self.html(f"mgp-steps-{next(_display_ids)}", standalone=False)
        except Exception as error:  # noqa: BLE001
            return f"<pre>{html.escape(self.text())}\n\nCould not draw the frames: {html.escape(str(error))}</pre>"

    def widget(self):
        """An ipywidgets slider over the frames (needs `pip install ipywidgets`); display() it in a notebook."""
        try:
            import ipywidgets
        except ImportError:
            raise ImportError(
                "StepThrough.widget() needs ipywidgets: pip install ipywidgets "
                "(or just display the StepThrough itself: it has its own prev/next buttons)"
            ) from None
        pictures = [_frame_picture(frame) for frame in self._untitled]
        view = ipywidgets.HTML()
        slider = ipywidgets.IntSlider(min=0, max=len(pictures) - 1, value=0, description="step")
        previous, next_ = ipywidgets.Button(description="◀ Prev"), ipywidgets.Button(description="Next ▶")
        previous.on_click(lambda _: setattr(slider, "value", max(slider.value - 1, slider.min)))
        next_.on_click(lambda _: setattr(slider, "value", min(slider.value + 1, slider.max)))

        def show(change=None):
            step = self.steps[slider.value]
            view.value = f"<pre>{html.escape(step.text)}</pre>{pictures[slider.value]}"

        slider.observe(show, names="value")
        show()
        return ipywidgets.VBox([ipywidgets.HBox([previous, slider, next_]), view])


def _check_html_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(
            f"save_html() got {str(path)!r}, which is a folder; give a file name inside it, "
            f"e.g. {str(path / 'backprop.html')!r}"
        )
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(
            f"save_html() writes an HTML page, so the file name must end in .html, got {str(path)!r}; "
            f"e.g. {str(path.with_suffix('.html'))!r}"
        )
    return path


_display_ids = itertools.count(1)
_SVG_PROLOG = re.compile(r"^.*?(?=<svg)", re.DOTALL)  # the XML declaration, DOCTYPE and comments before <svg


def _frame_picture(frame: Graph) -> str:
    """The frame as inline SVG, or (with no Graphviz) its DOT text and the install hint."""
    try:
        svg = frame.pipe("svg").decode("utf-8")
    except RendererNotFoundError:
        return f'<pre class="mgp-dot">{html.escape(INSTALL_HINT)}\n\n{html.escape(frame.source)}</pre>'
    svg = _SVG_PROLOG.sub("", svg, count=1)
    # Graphviz sizes the picture in points; show it 1.5 times larger (readable on a projector),
    # but never wider than the page.
    width = re.search(r'<svg width="([0-9.]+)pt"', svg)
    if width:
        pixels = float(width.group(1)) * 4 / 3 * 1.5
        svg = svg.replace("<svg ", f'<svg style="width: min(100%, {pixels:.0f}px); height: auto" ', 1)
    return svg


_CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 16px 24px; }
.mgp-steps { font-family: Helvetica, Arial, sans-serif; max-width: 100%; outline: none; }
.mgp-controls { position: sticky; top: 0; background: #fff; padding: 6px 0; z-index: 1; }
.mgp-controls button { font-size: 16px; padding: 4px 14px; cursor: pointer; }
.mgp-slider { width: 40%; vertical-align: middle; }
.mgp-counter { font-weight: bold; margin-left: 10px; }
.mgp-hint { color: #757575; margin-left: 10px; font-size: 13px; }
.mgp-legend span { padding: 2px 8px; margin-right: 8px; border: 1px solid #bdbdbd; font-size: 13px; }
.mgp-frame { border-top: 1px solid #e0e0e0; padding: 8px 0; }
.mgp-text { font-size: 15px; line-height: 1.45; background: #fafafa; padding: 8px 12px; white-space: pre-wrap; }
"""

# %(scope)s: "document" on a page of its own; "box" in a notebook, where the arrow keys belong to
# the notebook unless the step-through has the focus (click on it first).
_SCRIPT = """
(function () {
  var box = document.getElementById("%(id)s");
  var frames = box.querySelectorAll(".mgp-frame");
  var slider = box.querySelector(".mgp-slider");
  var counter = box.querySelector(".mgp-counter");
  var current = 0;
  function show(step) {
    current = Math.max(0, Math.min(frames.length - 1, step));
    for (var i = 0; i < frames.length; i++) { frames[i].hidden = (i !== current); }
    slider.value = current;
    counter.textContent = "Step " + current + " of " + (frames.length - 1);
    box.setAttribute("data-current", current);
  }
  box.querySelector(".mgp-prev").addEventListener("click", function () { show(current - 1); });
  box.querySelector(".mgp-next").addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(Number(slider.value)); });
  %(scope)s.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") { show(current + 1); event.preventDefault(); }
    if (event.key === "ArrowLeft") { show(current - 1); event.preventDefault(); }
  });
  box.querySelector(".mgp-controls").hidden = false;
  var start = /step=(\\d+)/.exec(window.location.hash);
  show(start ? Number(start[1]) : 0);
})();
"""
