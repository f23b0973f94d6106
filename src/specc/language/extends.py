"""`extends:` — one service, many environments: an environment spec is its base plus its own changes.

The merge is JSON Merge Patch (RFC 7396), the rule GitLab CI's `extends` and Kubernetes' merge patches follow:
mappings merge key by key, any other value (text, a number, a list) replaces the base's, and `null` removes the
key. A chain (prod extends base extends common) is folded from its root: ((common + base) + prod). Each merged
value keeps the span of the file that wrote it, so a diagnostic names the base or the overlay, whichever wrote
the offending value. Bases are read under the same limits as any spec and must stay inside the project, as code
does; a base's name ends in `.base.yaml`, and such a file is never compiled on its own. docs/environments.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from specc.language.diagnostics import Diagnostic, Position, SpecError
from specc.language.project import project_of
from specc.language.source import Path_, SourceFile, SpanMap, load

EXTENDS = "extends"
BASE_SUFFIXES = (".base.yaml", ".base.yml")
VALUE_ID, CYCLE_ID, OUTSIDE_ID, MISSING_ID, BASE_ID, LONG_ID = "E010", "E011", "E012", "E013", "E014", "E015"
MAX_BASES = 8  # each file is under the loader's limits; this bounds the whole chain (prod, base, common is 2)
_ABSENT = object()
_TOP = Position(1, 1)


def is_base(path: Path | str) -> bool:
    """A base spec, by its name: `*.base.yaml` is extended by environment specs and never compiled on its own."""
    return Path(path).name.endswith(BASE_SUFFIXES)


def load_spec(path: Path | str, display: str | None = None) -> SourceFile:
    """Load a spec to compile, with every base it extends merged in."""
    shown = display or str(path)
    if is_base(path):
        raise SpecError([Diagnostic(BASE_ID, f"{Path(path).name} is a base spec (its name ends in .base.yaml): it "
                                    "is not compiled on its own", shown, _TOP,
                                    hint="compile an environment spec that extends it, like `specc compile "
                                    "specs/prod.yaml`")])
    source = load(path, display)
    if EXTENDS not in source.data:
        return source
    return merge_chain(_chain(source))


def merge(base: Any, overlay: Any) -> Any:
    """RFC 7396 on plain values: the merged result, sharing no mapping with either argument's mappings."""
    if not isinstance(overlay, dict):
        return overlay
    result = dict(base) if isinstance(base, dict) else {}
    for key, value in overlay.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


def merge_chain(chain: list[SourceFile]) -> SourceFile:
    """The spec a chain means: `chain[0]` is the spec compiled, each next file the base of the one before."""
    spec, root = chain[0], chain[-1]
    merger = _Merger(spec.display)
    merger.take(root, _own(root.data), ())
    data: Any = _own(root.data)
    for overlay in reversed(chain[:-1]):
        data = merger.apply(overlay, data, _own(overlay.data), ())
    spans = merger.spans
    spans.values[()] = spec.spans.values.get((), _TOP)  # the document itself is the file compiled
    spans.files = {path: file for path, file in spans.files.items() if file != spec.display and path != ()}
    return SourceFile(path=spec.path, display=spec.display, data=data, spans=spans,
                      bases=tuple((base.display, base.path) for base in chain[1:]))


def _chain(source: SourceFile) -> list[SourceFile]:
    """The spec and every base it extends, nearest first; refuses cycles, paths out of the project, missing files."""
    project = project_of(source.path)
    chain = [source]
    seen = {os.path.realpath(source.path)}
    current = source
    while EXTENDS in current.data:
        written = current.data[EXTENDS]
        if not isinstance(written, str) or not written.strip():
            raise SpecError([current.diagnostic(VALUE_ID, (EXTENDS,), "expected the path of a base spec, relative "
                                                "to this file", "like `extends: service.base.yaml`")])
        target = current.path.parent / written
        shown = os.path.normpath(os.path.join(os.path.dirname(current.display), written))
        real = os.path.realpath(target)
        if real in seen:
            names = " -> ".join([*(f.display for f in chain), shown])
            raise SpecError([current.diagnostic(CYCLE_ID, (EXTENDS,), f"the chain of bases makes a cycle: {names}",
                                                "a base cannot extend, directly or not, a spec that extends it")])
        if not project.holds(real):
            raise SpecError([current.diagnostic(OUTSIDE_ID, (EXTENDS,), f"base '{written}' resolves outside the "
                                                f"project ({project.what}); specc reads specs only from inside it",
                                                "keep base specs in the repository, like specs/service.base.yaml")])
        if not os.path.isfile(real):
            what = "is a directory, not a spec file" if os.path.isdir(real) else "does not exist"
            raise SpecError([current.diagnostic(MISSING_ID, (EXTENDS,), f"base spec '{written}' {what} ({shown})",
                                                "the path is relative to the file that writes `extends`")])
        if len(chain) > MAX_BASES:
            raise SpecError([current.diagnostic(LONG_ID, (EXTENDS,), f"the chain of bases is longer than {MAX_BASES}",
                                                "extend a base that holds what the chain holds")])
        seen.add(real)
        try:
            current = load(target, shown)
        except SpecError as error:  # unreadable: said where `extends` names it; a bad base is said in the base
            unreadable = [d for d in error.diagnostics if d.code == "E000"]
            if not unreadable:
                raise
            raise SpecError([current.diagnostic(MISSING_ID, (EXTENDS,), f"base spec '{written}': "
                                                f"{unreadable[0].message}", "")]) from None
        chain.append(current)
    return chain


def _own(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != EXTENDS}


class _Merger:
    """RFC 7396 over the chain, moving each value's span along with it."""

    def __init__(self, shown: str) -> None:
        self.spans = SpanMap()
        self.shown = shown

    def apply(self, overlay: SourceFile, target: Any, patch: Any, path: Path_) -> Any:
        if not isinstance(patch, dict):
            self.forget(target, path)
            self.take(overlay, patch, path)
            return patch
        if isinstance(target, dict):
            result = dict(target)  # a mapping both write keeps the base's place: where the entry was defined
        else:
            self.forget(target, path)
            self.take_one(overlay, path)
            result = {}
        for key, value in patch.items():
            child = (*path, key)
            if value is None:
                if key in result:
                    self.forget(result.pop(key), child)
                continue
            result[key] = self.apply(overlay, result.get(key, _ABSENT), value, child)
        return result

    def take_one(self, source: SourceFile, path: Path_) -> None:
        for mine, theirs in ((self.spans.values, source.spans.values), (self.spans.keys, source.spans.keys)):
            if path in theirs:
                mine[path] = theirs[path]
        self.spans.files[path] = source.display

    def take(self, source: SourceFile, value: Any, path: Path_) -> None:
        """The spans of `value`, written by `source` at `path`, and of everything under it."""
        self.take_one(source, path)
        if isinstance(value, dict):
            for key, item in value.items():
                self.take(source, item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.take(source, item, (*path, index))

    def forget(self, value: Any, path: Path_) -> None:
        """Drop the spans of a value the merge replaced or removed, and of everything under it."""
        if value is _ABSENT:
            return
        self.spans.values.pop(path, None)
        self.spans.keys.pop(path, None)
        self.spans.files.pop(path, None)
        if isinstance(value, dict):
            for key, item in value.items():
                self.forget(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.forget(item, (*path, index))

