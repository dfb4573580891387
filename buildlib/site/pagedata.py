"""What every page is rendered with: the Jinja2 environment, the facts all pages may refer to
(SiteData), and JSON made safe to embed in a page."""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import BuiltinMethodType
from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.runtime import Context
from markupsafe import Markup, _escape_inner, escape  # its str -> str escape (pinned 3.0)

from buildlib import paths
from buildlib.catalogue import labels

_DICT_ATTRIBUTES = frozenset(dir(dict))
CACHE_PATTERN = "__jinja2_%s.inline-dict.cache"  # compiled templates kept between builds


class _Context(Context):
    """Jinja checks every call for a callable that wants the context passed (~2 million calls at
    10,000 procedures, nearly all `v.get(...)`). A built-in method (dict.get, str.lower...)
    cannot be marked so: it is called at once, as Jinja would call it."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if type(__obj) is not BuiltinMethodType:
            return super().call(__obj, *args, **kwargs)
        kwargs.pop("_block_vars", None)
        kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


class _CodeGenerator(CodeGenerator):
    """Two things the catalogue's plain dicts make templates do millions of times, compiled to
    be done at once on a dict and as Jinja does them on anything else, with the same result
    (`_d`: the object, evaluated once). `a.b`, for a name that is no attribute of a dict: the
    item read when the dict has it, else `environment.getattr` (below; ~4 million calls at
    10,000 procedures, ~0.25 us each)."""

    @optimizeconst
    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        if self.environment.is_async or node.attr in _DICT_ATTRIBUTES:
            super().visit_Getattr(node, frame)
            return
        name = repr(node.attr)
        self.write(f"(_d[{name}] if type(_d := ")
        self.visit(node.node, frame)
        self.write(f") is dict and {name} in _d else environment.getattr(_d, {name}))")

    @optimizeconst
    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        """`a.get(x)` or `a.get(x, y)` compiled to call dict.get at once on a plain dict, and as
        Jinja calls it otherwise (`context.call`): ~2 million calls at 10,000 procedures."""
        callee = node.node
        if (
            self.environment.is_async
            or forward_caller
            or not isinstance(callee, nodes.Getattr)
            or callee.attr != "get"
            or node.kwargs
            or node.dyn_args
            or node.dyn_kwargs
            or not 1 <= len(node.args) <= 2
        ):
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        self.write("(_d.get(")
        self._arguments(node, frame)
        self.write(") if type(_d := ")
        self.visit(callee.node, frame)
        self.write(") is dict else context.call(environment.getattr(_d, 'get'), ")
        self._arguments(node, frame)
        if frame.loop_frame:
            self.write(", _loop_vars=_loop_vars")
        if frame.block_frame:
            self.write(", _block_vars=_block_vars")
        self.write("))")

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        """`{{ text }}` escaped to a str at once (markupsafe's escape, without making it Markup:
        the page's parts are only joined; ~2 million at 10,000 procedures), anything else
        escaped as Jinja escapes it."""
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape or finalize.src is not None:
            super()._output_child_pre(node, frame, finalize)
        else:
            self.write("(environment.escape_text(_o) if type(_o := ")

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape or finalize.src is not None:
            super()._output_child_post(node, frame, finalize)
        else:
            self.write(") is str else escape(_o))")

    def _arguments(self, node: nodes.Call, frame: Frame) -> None:
        for i, argument in enumerate(node.args):
            if i:
                self.write(", ")
            self.visit(argument, frame)


class _Environment(Environment):
    """Jinja's `a.b` looks for an attribute first and then for an item: on the plain dicts the
    catalogue is made of, that is an AttributeError raised and caught for every `v.name` (~4.5
    million at 10,000 procedures). A dict has no attribute beyond its class's, so a name that
    is not one of them goes straight to the item: the same result, without the exception."""

    context_class = _Context
    code_generator_class = _CodeGenerator
    escape_text = staticmethod(_escape_inner)  # str -> escaped str (_CodeGenerator)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def environment(compiled: Path | None = None) -> Environment:
    """Autoescape everywhere: catalogue text must never become markup. Templates do not change
    during a build, so a cached template is not checked against its file again (auto_reload
    stat'ed it on each of the ~20,000 get_template calls at 10,000 procedures: ~7% of
    rendering). `compiled`: a folder where the compiled templates are kept between builds
    (Jinja recompiles one whose source changed); compiling them was ~0.3 s of a one-procedure
    rebuild."""
    cache = None
    if compiled is not None:
        compiled.mkdir(parents=True, exist_ok=True)
        # Named for _CodeGenerator: code compiled by Jinja's own generator (an older build's)
        # is not read, nor this by an older build's, which has no `escape_text`.
        cache = FileSystemBytecodeCache(str(compiled), CACHE_PATTERN)
    env = _Environment(
        bytecode_cache=cache,
        loader=FileSystemLoader(paths.TEMPLATES),
        auto_reload=False,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = labels.date
    env.filters["money"] = labels.money
    env.filters["deadline"] = labels.deadline
    env.filters["decision"] = labels.decision
    env.filters["list_items"] = list_items
    env.globals["L"] = labels
    return env


def list_items(items: Iterable[dict | str]) -> Markup:
    """`<li><a href>text</a> <small>meta</small></li>` a line for each link of a browse list
    (`meta` left out when empty), escaped as autoescape would: a Jinja loop over the same items
    took ~10 times as long, and a browse list has up to 10,000 of them. An item given as text
    is such a line already written and escaped (browse.py writes each procedure's once a build,
    for every list it is on)."""
    e = escape
    return Markup(
        "".join(
            i
            if isinstance(i, str)
            else f'<li><a href="{e(i["href"])}">{e(i["text"])}</a>'
            + (f" <small>{e(i['meta'])}</small></li>\n" if i["meta"] else "</li>\n")
            for i in items
        )
    )


@dataclass
class SiteData:
    """What every page may refer to: names of fields, agencies, life events, other procedures."""

    today: str
    fields: dict[str, str]
    agencies: dict[str, dict]
    forms: set[str]
    life_events: dict[str, str]
    summaries: dict[str, dict]  # code -> browse.summary() of every procedure
    templates: set[str] = field(default_factory=set)  # files under catalogue/templates/
    life_event_docs: dict[str, dict] = field(default_factory=dict)
    offices: dict[str, list[dict]] = field(default_factory=dict)  # agency id -> its offices

    @property
    def browsed(self) -> dict[str, set[str]]:
        """Fields and levels that have a browse page (an old version may name one that has not)."""
        if not hasattr(self, "_browsed"):
            self._browsed = {
                "field": {s["field"] for s in self.summaries.values()},
                "levels": {x for s in self.summaries.values() for x in s["levels"]},
            }
        return self._browsed


def compact_json(value: Any) -> str:
    """Compact JSON for data files and pages: indented output forces json's pure-Python encoder
    (10,000 files: 19 s -> ~2 s)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def script_json(value: Any) -> str:
    """JSON that cannot end its <script> element early: '</' (as in '</script>') is written
    '<\\/', and '<!--' and '<script' (which together switch the HTML parser into a state where
    '</script>' no longer ends the element) start with '\\u003c'; JSON reads both back unchanged."""
    text = compact_json(value).replace("</", "<\\/")
    text = re.sub(r"<(?=!--|script)", r"\\u003c", text, flags=re.I)
    # U+2028/2029 are valid in JSON but end a line in older JavaScript parsers.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
