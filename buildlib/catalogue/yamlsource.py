"""Reads catalogue YAML strictly and fast, and finds the source position of any field on demand.

The rules are those of libyaml (CSafeLoader, YAML 1.1) with three extra ones: duplicate keys are
errors, dates stay ISO strings (JSON Schema validates them), and anchors/aliases are refused (no
shared or recursive structures, no alias bombs). A text is first read by yaml-rs (a YAML 1.2
parser in Rust, ~4x faster) when nothing in it can be read differently by the two (`_load_rust`);
anything else, and every error, goes through libyaml, which words the messages. Positions are not
kept while loading: a second parse, done only when a problem must be located, maps a field path
to its line and column.
"""

import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml
import yaml_rs

from .problems import Problem, field_path

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_DEPTH = 60


class _DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class StrictLoader(_Loader):  # type: ignore[misc, valid-type]
    """CSafeLoader that refuses duplicate keys and keeps timestamps as text."""


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    mapping: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (list, dict)):
            raise yaml.constructor.ConstructorError(
                None, None, "khóa phải là chuỗi, không phải danh sách hay bảng", key_node.start_mark
            )
        key = key if isinstance(key, str) else _scalar_text(key_node, key)
        if key in mapping:
            raise _DuplicateKeyError(
                None, None, f"khóa '{key}' bị lặp lại trong cùng một bảng", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


def _scalar_text(node: yaml.Node, value: Any) -> str:
    return node.value if isinstance(node, yaml.ScalarNode) else str(value)


def _construct_timestamp(loader: StrictLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)

_TAB_IN_INDENT = re.compile(r"^[ ]*\t", re.MULTILINE)

_STR = "tag:yaml.org,2002:str"
_MAP = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG
_SEQ = yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG
_IMPLICIT = StrictLoader.yaml_implicit_resolvers
assert None not in _IMPLICIT, "a wildcard implicit resolver: _FastLoader.resolve must try it"


class _FastLoader(StrictLoader):
    """StrictLoader whose node tags are resolved by a shorter path (the C composer calls
    `resolve` for every node): the same implicit rules, without the path resolvers, which no
    loader of ours registers. Its documents are built by `_build`, not by construct_object."""

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


class _PositionLoader(_FastLoader):
    """Composes nodes for their positions only: every scalar is tagged as a string without trying
    the implicit resolvers (~8% of composing a procedure; `Locator` never reads a tag)."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        return _STR if kind is yaml.ScalarNode else _SEQ if kind is yaml.SequenceNode else _MAP


class _Unusual(Exception):
    """The document has something the fast path leaves to PyYAML (explicit tags, merge keys,
    complex keys, duplicate keys): it is loaded again the ordinary way, for the same result and
    the same messages."""


class _Plain(Exception):
    """The reason `_plain` would give."""


def _build(loader: _FastLoader, node: yaml.Node, depth: int = 0) -> Any:
    """The Python value of `node`, as StrictLoader builds it (nodes are trees here: a text with
    anchors or aliases never takes this path). Raises _Plain for what `_plain` refuses."""
    if depth > MAX_DEPTH:
        raise _Plain(f"lồng nhau quá {MAX_DEPTH} cấp")
    cls = node.__class__
    tag = node.tag
    if cls is yaml.ScalarNode:
        if tag == _STR:
            return node.value
        constructor = _SCALARS.get(tag)
        if constructor is None:
            raise _Unusual
        value = constructor(loader, node)
        if value != value:  # NaN
            raise _Plain("giá trị NaN không hợp lệ")
        return value
    if cls is yaml.MappingNode and tag == _MAP:
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is not yaml.ScalarNode or key_node.tag not in _KEY_TAGS:
                raise _Unusual
            key = key_node.value
            if key in mapping:
                raise _Unusual
            mapping[key] = _build(loader, value_node, depth + 1)
        return mapping
    if cls is yaml.SequenceNode and tag == _SEQ:
        return [_build(loader, child, depth + 1) for child in node.value]
    raise _Unusual


_SCALARS = {
    tag: StrictLoader.yaml_constructors[tag]
    for tag in (
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:timestamp",
    )
}
# Scalar keys whose text is the key StrictLoader makes (`_scalar_text`): not merge (<<) or
# value (=) keys, which flatten_mapping treats specially.
_KEY_TAGS = {_STR, *_SCALARS}


def _load_fast(text: str) -> Any:
    """The document as `yaml.load(text, Loader=StrictLoader)` gives it, about twice as fast:
    libyaml composes the nodes, `_build` turns them into values without PyYAML's generic
    constructor. Raises _Unusual when the ordinary path must decide."""
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _build(loader, node)
    finally:
        loader.dispose()


# Where yaml-rs may read a text otherwise than libyaml (found too often is only slower). In the
# text: document markers (yaml-rs returns a list of the documents), and what could nest deeper
# than yaml-rs's stack allows (it crashes on 100,000 nested "- "; so each line opens at most one
# block level, is indented less than 200 columns, and depth stays < 400).
_RUST_LINES = ("\n---", "\n...", " " * 200, "- -")
# Any character but printable ASCII other than the indicators below, and the printable rest of
# Unicode: so also tab, CR, NEL, LS, PS and a BOM, which libyaml refuses or reads as line breaks.
_RUST_CHARS = re.compile(
    r"[^\x20\x22-\x24\x27-\x29\x2b-\x3d\x41-\x5a\x5c-\x5f\x61-\x7a\x7d\x7e\n"
    r"\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
# At the start of a token: anchors and aliases, tags, directives, reserved indicators, complex
# keys, block scalars (an empty one is "\n" for yaml-rs, "" for libyaml) and flow collections
# other than [] and {} (libyaml's flow quirks: "[?a]", "{a:}").
_INDICATORS = frozenset("&*!%@`?|>[{")
_TOKEN_START = frozenset(" \n[]{},")
# A plain scalar that YAML 1.1 (libyaml's resolvers) and yaml-rs may type differently: anything
# that starts like a number (012, 0o17, 1_000, 1:30, 1e5, .nan), 1.1's other booleans (yes, on,
# ...), the merge and value keys; unless it is one of _RUST_SAME, read alike by both. Only a
# whole scalar counts (keys are checked on the result): outside flow collections it follows
# ": " or "- ", or has a line of its own after a line that ends with ":" or "-" (maybe then
# spaces, a comment, blank or comment lines), and it ends its line (before a comment). Searches
# that start with one literal character are ~2x faster than one with alternatives.
_TOKEN = r"([-+.0-9][0-9A-Za-z_.:+-]*|[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF|=|<<)"
_TOKEN_END = r"(?=[ ]*(?:\n|#|:[ \n]))"
_GAP = r"(?:[ ]+(?:#[^\n]*)?)?\n(?:[ ]*(?:#[^\n]*)?\n)*[ ]*"
_RUST_SCALARS = (
    re.compile(r": +" + _TOKEN + _TOKEN_END),
    re.compile(r"- +" + _TOKEN + _TOKEN_END),
    re.compile(r":" + _GAP + _TOKEN + _TOKEN_END),
    re.compile(r"-" + _GAP + _TOKEN + _TOKEN_END),
)
_RUST_SAME = re.compile(r"[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?|[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _load_rust(text: str) -> dict[str, Any]:
    """The document as `yaml.load(text, Loader=StrictLoader)` gives it, about four times as fast
    as `_load_fast`, or _Unusual when libyaml must decide: the text has something the two parsers
    may read differently (above), yaml-rs refuses it (libyaml then words the error), or the
    result is not a mapping of string keys without NaN nested at most MAX_DEPTH deep."""
    if not text.endswith("\n") or text.startswith(("---", "...")):
        raise _Unusual
    if any(marker in text for marker in _RUST_LINES):
        raise _Unusual
    for found in _RUST_CHARS.finditer(text):
        char, at = found[0], found.start()
        if char not in _INDICATORS:
            raise _Unusual
        empty_flow = char in "[{" and text[at + 1 : at + 2] in ("]", "}")
        if (at == 0 or text[at - 1] in _TOKEN_START) and not empty_flow:
            raise _Unusual
    for scalars in _RUST_SCALARS:
        for found in scalars.finditer(text):
            if not _RUST_SAME.fullmatch(found[1]):
                raise _Unusual
    try:
        data = yaml_rs.loads(text, parse_datetime=False)
    except Exception as error:  # a duplicate key too: libyaml decides and words the message
        raise _Unusual from error
    if data.__class__ is not dict:
        raise _Unusual
    _check_rust(data, 0)
    return data


def _check_rust(value: dict | list, depth: int) -> None:
    """Raises _Unusual unless every key is a string, no float is NaN and no value, a scalar
    too, is nested deeper than MAX_DEPTH (libyaml's path reports each in its own words)."""
    if depth > MAX_DEPTH or (depth == MAX_DEPTH and value):
        raise _Unusual
    if value.__class__ is dict:
        for key in value:
            if key.__class__ is not str:
                raise _Unusual
    for child in value.values() if value.__class__ is dict else value:  # type: ignore[union-attr]
        kind = child.__class__
        if kind is dict or kind is list:
            _check_rust(child, depth + 1)
        elif kind is float and child != child:
            raise _Unusual


def _plain(value: Any, seen: set[int], depth: int = 0) -> str | None:
    """Returns a reason if the value is not a plain JSON-like tree (aliases, recursion, depth)."""
    if depth > MAX_DEPTH:
        return f"lồng nhau quá {MAX_DEPTH} cấp"
    if isinstance(value, (dict, list)):
        if id(value) in seen:
            return _ALIAS_MESSAGE
        seen.add(id(value))
        children = value.values() if isinstance(value, dict) else value
        for child in children:
            reason = _plain(child, seen, depth + 1)
            if reason:
                return reason
    elif isinstance(value, float) and value != value:
        return "giá trị NaN không hợp lệ"
    return None


def _load(text: str) -> tuple[Any, bool]:
    """The data, by the fastest path that is sure to give what StrictLoader gives, and whether it
    came from PyYAML's generic path (it may then hold anchors, aliases, NaN or too deep nesting,
    which the caller refuses). Raises what StrictLoader raises."""
    try:
        return _load_rust(text), False
    except _Unusual:
        pass
    if "&" not in text and "*" not in text:  # maybe anchors and aliases: refused by the caller
        try:
            return _load_fast(text), False
        except (_Unusual, _Plain, yaml.constructor.ConstructorError):
            pass
    return yaml.load(text, Loader=StrictLoader), True


def load_text(text: str, rel: str) -> tuple[Any, list[Problem]]:
    """Parses one YAML document. Returns (data, problems); data is None when it cannot be read."""
    problems = [
        Problem(rel, text.count("\n", 0, m.start()) + 1, m.end() - m.start(), "", _TAB_MESSAGE)
        for m in (_TAB_IN_INDENT.finditer(text) if "\t" in text else ())
    ]
    try:
        data, generic = _load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = _yaml_message(error)
        if not any(p.line == line for p in problems):
            problems.append(Problem(rel, line, column, "", message))
        return None, problems
    except yaml.YAMLError as error:  # e.g. a reader error: bytes that are not UTF-8
        problems.append(Problem(rel, 1, 1, "", f"không đọc được YAML: {error}"))
        return None, problems
    except RecursionError:
        problems.append(Problem(rel, 1, 1, "", f"lồng nhau quá {MAX_DEPTH} cấp"))
        return None, problems
    if data is None:
        problems.append(Problem(rel, 1, 1, "", "tệp trống: cần một bảng dạng khóa: giá trị"))
        return None, problems
    alias = _first_alias(text) if generic and ("&" in text or "*" in text) else None
    if alias:
        problems.append(Problem(rel, alias.line + 1, alias.column + 1, "", _ALIAS_MESSAGE))
        return None, problems
    reason = _plain(data, set()) if generic else None
    if reason:
        problems.append(Problem(rel, 1, 1, "", reason))
        return None, problems
    return data, problems


def _first_alias(text: str) -> Any:  # a yaml Mark (libyaml's or pure Python's) or None
    """Where the first anchor or alias is, if any (the text parsed already, so no error here)."""
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return event.start_mark
    return None


def load_file(path: Path, rel: str) -> tuple[Any, list[Problem]]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        return None, [unreadable(rel, error)]
    return load_bytes(raw, rel)


def unreadable(rel: str, error: OSError) -> Problem:
    return Problem(rel, 1, 1, "", f"không mở được tệp: {error.strerror}")


def load_bytes(raw: bytes, rel: str) -> tuple[Any, list[Problem]]:
    """`load_text` of a file's bytes, which must be UTF-8."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return None, [Problem(rel, line, 1, "", "tệp không phải UTF-8")]
    # Text pasted from other systems may spell "ổ" as "o" + two combining marks: every page, the
    # search index, the open data and the API read one spelling (NFC), as people type it.
    return load_text(unicodedata.normalize("NFC", text), rel)


_ALIAS_MESSAGE = "không dùng neo/bí danh YAML (& và *): hãy viết đầy đủ giá trị"
_TAB_MESSAGE = "có ký tự tab ở đầu dòng: YAML chỉ dùng dấu cách để thụt lề"


def _yaml_message(error: yaml.MarkedYAMLError) -> str:
    if isinstance(error, _DuplicateKeyError):
        return error.problem or "khóa bị lặp lại"
    problem = (error.problem or "").strip()
    if "'\\t'" in problem or "tab" in problem:
        return _TAB_MESSAGE
    context = (error.context or "").strip()
    detail = f"{context}; {problem}" if context else problem
    mark, opened = error.problem_mark, error.context_mark
    if mark and opened and opened.line != mark.line:
        detail += f" (mở ở dòng {opened.line + 1})"
    return f"lỗi cú pháp YAML: {detail}"


class Locator:
    """Maps a field path to (line, column) in one YAML text, parsing it only when first asked."""

    def __init__(self, text: str):
        self._text = text
        self._root: yaml.Node | None = None
        self._parsed = False

    def _node(self) -> yaml.Node | None:
        if not self._parsed:
            self._parsed = True
            try:
                self._root = yaml.compose(self._text, Loader=_PositionLoader)
            except (yaml.YAMLError, RecursionError):
                self._root = None
        return self._root

    def find(self, parts: tuple, *, key: bool = False) -> tuple[int, int]:
        """Position of the value at `parts` (or of its key, with key=True); the nearest existing
        ancestor when the path does not exist (a missing required field points at its parent)."""
        node = self._node()
        if node is None:
            return 1, 1
        best = node.start_mark
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                for key_node, value_node in node.value:
                    if getattr(key_node, "value", None) == part:
                        best = key_node.start_mark if (key and last) else value_node.start_mark
                        node = value_node
                        break
                else:
                    break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if 0 <= part < len(node.value):
                    node = node.value[part]
                    best = node.start_mark
                else:
                    break
            else:
                break
        return best.line + 1, best.column + 1

    def problem(self, rel: str, parts: tuple, message: str, **kw: Any) -> Problem:
        key = kw.pop("key", False)
        line, column = self.find(parts, key=key)
        return Problem(rel, line, column, field_path(parts), message, **kw)


__all__ = [
    "Locator",
    "StrictLoader",
    "field_path",
    "load_bytes",
    "load_file",
    "load_text",
    "unreadable",
]
