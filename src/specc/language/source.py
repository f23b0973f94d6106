"""Load a spec file into plain Python values plus a span map, refusing anything unsafe.

YAML is composed (not constructed) with libyaml's CSafeLoader, so every node keeps its line and
column and no tag can run code. We then build the values ourselves, which lets us reject
duplicate keys, unknown tags, alias bombs and recursion with a located diagnostic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from specc.language.diagnostics import Diagnostic, Position, SpecError

try:  # libyaml is ~10x faster; PyYAML wheels ship it, fall back only when absent.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 4 * 1024 * 1024
MAX_VALUES = 200_000
MAX_DEPTH = 64
# libyaml's parser is iterative, but PyYAML's C composer recurses once per nesting level: about 30,000 levels
# (60 KB of `[`) overflow the C stack and kill the process before the builder's MAX_DEPTH check can run. Text
# whose nesting cannot reach this bound goes straight to the composer; other text is walked event by event first.
SAFE_COMPOSE_DEPTH = 5_000

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

Path_ = tuple[Any, ...]


@dataclass
class SpanMap:
    """Spec path -> where its value (and, for mapping entries, its key) starts.

    `files` names the file that wrote a path when it is not the spec's own: a base it extends (language/extends.py).
    A path's key and value always come from the same file."""

    values: dict[Path_, Position] = field(default_factory=dict)
    keys: dict[Path_, Position] = field(default_factory=dict)
    files: dict[Path_, str] = field(default_factory=dict)

    def locate(self, path: Path_, *, prefer_key: bool = False) -> Position:
        """Best position for a path: the entry itself, else its nearest ancestor that exists."""
        return self.where(path, prefer_key=prefer_key)[1]

    def where(self, path: Path_, *, prefer_key: bool = False) -> tuple[str | None, Position]:
        """`locate`, and the file that wrote what it found (None: the spec's own file)."""
        path = tuple(path)
        while True:
            if prefer_key and path in self.keys:
                return self.files.get(path), self.keys[path]
            if path in self.values:
                return self.files.get(path), self.values[path]
            if path in self.keys:
                return self.files.get(path), self.keys[path]
            if not path:
                return None, Position(1, 1)
            path = path[:-1]


@dataclass
class SourceFile:
    path: Path
    display: str
    data: dict[str, Any]
    spans: SpanMap
    bases: tuple[tuple[str, Path], ...] = ()  # (shown name, path) of each base it extends, nearest first

    def where(self, path: Path_, *, prefer_key: bool = False) -> tuple[str, Position]:
        """The file (as shown) and position where the value at `path` was written, base or the spec itself."""
        file, position = self.spans.where(path, prefer_key=prefer_key)
        return file or self.display, position

    def written_in(self, path: Path_) -> Path:
        """The file that wrote the value at `path`; a value nobody wrote (a default) counts as the root base's,
        the file every other one extends, so a base's relative paths mean the same in each environment."""
        key = tuple(path)
        if key not in self.spans.values:
            return self.bases[-1][1] if self.bases else self.path
        file = self.spans.files.get(key)
        return dict(self.bases).get(file, self.path) if file else self.path

    def diagnostic(
        self, code: str, path: Path_, message: str, hint: str = "", *, at_key: bool = False,
        field_path: str | None = None,
    ) -> Diagnostic:
        from specc.language.diagnostics import dotted

        file, position = self.where(path, prefer_key=at_key)
        return Diagnostic(
            code=code,
            message=message,
            file=file,
            position=position,
            field_path=dotted(path) if field_path is None else field_path,
            hint=hint,
        )


def load(path: Path | str, display: str | None = None) -> SourceFile:
    path = Path(path)
    shown = display or str(path)
    try:
        with open(path, "rb") as stream:  # at most one byte past the limit: /dev/zero or a huge file is not read whole
            raw = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise SpecError([_at(shown, 1, 1, "E000", f"no such file: {shown}", "check the path")]) from None
    except IsADirectoryError:
        raise SpecError([_at(shown, 1, 1, "E000", f"{shown} is a directory, not a spec file",
                             "name a .yaml file")]) from None
    except OSError as exc:
        raise SpecError([_at(shown, 1, 1, "E000", f"cannot read {shown}: {exc.strerror}", "")]) from None
    return loads(raw, path=path, display=shown)


def loads(raw: bytes | str, *, path: Path | str = "<spec>", display: str | None = None) -> SourceFile:
    path = Path(path)
    shown = display or str(path)
    text = _decode(raw, shown)
    try:
        if _nesting_bound(text) > SAFE_COMPOSE_DEPTH:
            _refuse_deep_nesting(text, shown)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise SpecError([_at(shown, line, col, "E002", f"YAML syntax error: {problem}",
                             "fix the YAML at this position")]) from None
    except yaml.YAMLError as exc:
        line, col = _reader_position(exc)
        raise SpecError([_at(shown, line, col, "E002", f"YAML error: {_first_line(exc)}",
                             "remove control characters and check the encoding")]) from None
    if node is None:
        raise SpecError([_at(shown, 1, 1, "E006", "the spec is empty",
                             "start with `specc: 1` and `service: NAME`, or run `specc schema` for the fields")])
    builder = _Builder(shown)
    data = builder.build(node, ())
    if builder.errors:
        raise SpecError(builder.errors)
    if not isinstance(data, dict):
        raise SpecError([_at(shown, node.start_mark.line + 1, node.start_mark.column + 1, "E102",
                             f"the spec must be a mapping of fields, got {_kind(data)}",
                             "start with `specc: 1` and `service: NAME`")])
    return SourceFile(path=path, display=shown, data=data, spans=builder.spans)


def _nesting_bound(text: str) -> int:
    """An upper bound on how deep the text can nest, in a millisecond: every flow level opens with `[` or `{`, and
    a block collection starts at least one column right of its parent's (a sequence under a key may share the
    key's column, hence two levels per column)."""
    widest = max(map(len, text.splitlines()), default=0)
    return text.count("[") + text.count("{") + 2 * (widest + 1)


def _refuse_deep_nesting(text: str, shown: str) -> None:
    """Walk libyaml's event stream (iterative, no recursion) and stop at the first collection nested deeper than
    MAX_DEPTH, with its position; only then is the text safe for the recursive composer."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
                raise SpecError([_at(shown, line, column, "E005",
                                     f"the spec nests deeper than {MAX_DEPTH} levels",
                                     "flatten the structure: no spec field nests that deep")])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _decode(raw: bytes | str, shown: str) -> str:
    if isinstance(raw, str):
        if len(raw) > MAX_BYTES:  # characters, a lower bound of the bytes: text from an editor or a test
            raise SpecError([_at(shown, 1, 1, "E005", f"the spec is more than the {MAX_BYTES} bytes allowed",
                                 "split the service into several specs")])
        return raw
    if len(raw) > MAX_BYTES:
        raise SpecError([_at(shown, 1, 1, "E005", f"the spec is more than the {MAX_BYTES} bytes allowed",
                             "split the service into several specs")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise SpecError([_at(shown, line, col, "E001", f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x})",
                             "save the spec as UTF-8")]) from None


class _Builder:
    """Turns composed nodes into values, recording spans and collecting problems."""

    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.spans = SpanMap()
        self.errors: list[Diagnostic] = []
        self.count = 0
        self._constructor = yaml.constructor.SafeConstructor()
        self._aborted = False

    def error(self, node: yaml.Node, code: str, message: str, hint: str) -> None:
        self.errors.append(_at(self.shown, node.start_mark.line + 1, node.start_mark.column + 1, code, message, hint))

    def build(self, node: yaml.Node, path: Path_, depth: int = 0) -> Any:
        if self._aborted:
            return None
        self.count += 1
        if self.count > MAX_VALUES or depth > MAX_DEPTH:
            what = (f"more than {MAX_VALUES} values" if self.count > MAX_VALUES
                    else f"nesting deeper than {MAX_DEPTH} levels")
            self.error(node, "E005", f"the spec expands to {what} (YAML anchors and aliases?)",
                       "write the values out instead of aliasing large or recursive structures")
            self._aborted = True
            return None
        self.spans.values.setdefault(path, _pos(node))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                self._bad_tag(node)
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(cast(yaml.ScalarNode, node))  # neither a mapping nor a sequence

    def _mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        if node.tag != _MAP:
            self._bad_tag(node)
        result: dict[str, Any] = {}
        first_seen: dict[str, yaml.Node] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                source = self.build(value_node, path, depth + 1)
                sources = source if isinstance(source, list) else [source]
                for item in sources:
                    if isinstance(item, dict):
                        for k, v in item.items():
                            merged.setdefault(k, v)
                    else:
                        self.error(value_node, "E002", "a YAML merge (<<) must name a mapping", "merge a mapping")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, "E002", "mapping keys must be plain text, not a list or a mapping",
                           "use a plain name as the key")
                continue
            key = key_node.value
            if key == "":  # `? ` or `: value`: YAML reads a null key, which names nothing
                self.error(key_node, "E002", "a mapping key is empty", "write a name before the colon")
                continue
            if key in first_seen:
                first = first_seen[key].start_mark
                self.error(key_node, "E003", f"duplicate key '{key}' (first defined at line {first.line + 1})",
                           "remove one of the two entries")
                continue
            first_seen[key] = key_node
            self.spans.keys[path + (key,)] = _pos(key_node)
            result[key] = self.build(value_node, path + (key,), depth + 1)
        for k, v in merged.items():
            result.setdefault(k, v)
        return result

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag in (_STR, _TIMESTAMP):
            return node.value
        if tag in _SCALAR_TAGS:
            try:
                value = self._constructor.construct_object(node, deep=True)
            except (yaml.YAMLError, ValueError, OverflowError):
                return node.value
            if type(value) is int and not INT_RANGE[0] <= value <= INT_RANGE[1]:
                # no AWS value is a number this large, and a template's JSON encoder refuses it: say so here
                self.error(node, "E007", f"the number {node.value} is out of range (templates hold whole numbers "
                           f"from {INT_RANGE[0]} to {INT_RANGE[1]})",
                           "use a smaller number, or quote it if the value is text")
                return None
            if type(value) is float and not math.isfinite(value):  # JSON has none: the encoder would write null
                self.error(node, "E007", f"{node.value} is not a number a template can hold (JSON has no infinity "
                           "or NaN)", "write a finite number, or quote it if the value is text")
                return None
            return value
        self._bad_tag(node)
        return None

    def _bad_tag(self, node: yaml.Node) -> None:
        short = node.tag[1:] if node.tag.startswith("!") else ""
        if short in _CLOUDFORMATION_SHORT_FORMS:
            long_form = "Ref" if short == "Ref" else f"Fn::{short}"
            hint = (f"in raw resources write CloudFormation's long form, {{\"{long_form}\": ...}}, which is plain "
                    "data; elsewhere a spec value names an entry as ${section.entry.attribute}")
        else:
            hint = "specc specs are plain data: remove the tag"
        self.error(node, "E004", f"unsupported YAML tag '{node.tag}'", hint)


_CLOUDFORMATION_SHORT_FORMS = frozenset({
    "Ref", "GetAtt", "Sub", "Join", "Select", "Split", "If", "Equals", "And", "Or", "Not", "ImportValue", "Base64",
    "FindInMap", "GetAZs", "Cidr", "Condition", "Transform", "Length", "ToJsonString"})


# what a template's JSON can hold: a signed or unsigned 64-bit whole number
INT_RANGE = (-(2**63), 2**64 - 1)


def _pos(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _at(shown: str, line: int, col: int, code: str, message: str, hint: str) -> Diagnostic:
    return Diagnostic(code=code, message=message, file=shown, position=Position(line, col), hint=hint)


def _reader_position(exc: yaml.YAMLError) -> tuple[int, int]:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return mark.line + 1, mark.column + 1
    return 1, 1


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), type(value).__name__)
