"""Hostile and broken specs for property tests (tests/test_bad_input.py) and the soak (bench/soak.py).

Every generated input goes through `specc compile` as users run it, into an output directory that holds a
previous compile. The invariant, whatever the input: exit 0 with a complete new output, or exit 1 with only
located diagnostics (`file:line:col CODE ...`) and the previous output untouched. Never a traceback, an
internal error (exit 70) or a partial output.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import strategies as st

from specc.cli.app import main

HANDLER = "handlers/app.py"
BASE: dict[str, Any] = {
    "specc": 1,
    "service": "shop",
    "environment": "dev",
    "regions": ["eu-west-1"],
    "tags": {"Owner": "team"},
    "keys": {"data": {"description": "tables and topics"}},
    "tables": {"orders": {"partition_key": {"name": "id", "type": "S"},
                          "indexes": {"by_user": {"partition_key": {"name": "user", "type": "S"}}}}},
    "topics": {"events": {}},
    "functions": {
        "create": {"handler": f"{HANDLER}:handler", "memory": 512, "timeout": 10,
                   "environment": {"CURRENCY": "EUR"},
                   "uses": {"tables": {"orders": "write"}, "topics": {"events": "publish"}}},
        "read": {"handler": f"{HANDLER}:handler", "uses": {"tables": {"orders": "read"}}},
    },
    "routes": {"POST /orders": {"function": "create", "api_key": True}, "GET /orders/{id}": "read"},
    "usage_plans": {"standard": {"throttle": {"rate": 10, "burst": 5}}},
    "api_keys": {"portal": {"usage_plan": "standard"}},
    "alarms": {"errors": {"metric": "functions.create.Errors", "threshold": "> 0"}},
}
LOCATED = re.compile(r"^.+:\d+:\d+ (E\d{3}|SEC\d{3}) ")
SUMMARY = re.compile(r"^\d+ errors?; nothing was written\.$")


def render(data: Any) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, prefix + (key,))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, prefix + (index,))
    return found


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    data = copy.deepcopy(data)
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


ALL_PATHS = _paths(BASE)
# Objects with fixed fields (not maps of named entries, tags or environment variables).
OBJECT_PATHS = [(), ("keys", "data"), ("tables", "orders"), ("tables", "orders", "partition_key"),
                ("tables", "orders", "indexes", "by_user"), ("topics", "events"), ("functions", "create"),
                ("functions", "read"), ("routes", "POST /orders"), ("usage_plans", "standard"),
                ("usage_plans", "standard", "throttle"), ("api_keys", "portal"), ("alarms", "errors")]

names = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
any_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=10**18, max_value=10**400),
              st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)),
    max_leaves=6)


# fields holding any JSON: an event's input; a workflow state's payload, message, pass result and map item; in raw
# CloudFormation, what the resource schemas leave free (policy documents, metadata); an event rule's pattern, where a
# value in place of a content filter (`source: [false]`) or a list in place of nested fields is still a pattern
# EventBridge takes (E380/E381 refuse the shapes it does not: tests/errors/event_buses.yaml)
FREE_FORM = {"input", "payload", "message", "result", "item", "PolicyDocument", "Metadata", "pattern"}


@dataclass
class Replacement:
    """A spec with the value at one path replaced: what was there, and what is there now."""

    raw: bytes
    path: tuple[Any, ...]
    original: Any
    value: Any

    def clearly_wrong(self) -> bool:
        """No field that held `original` takes `value`: a mapping or list where a scalar was, or anything but a
        mapping (a list) where a mapping (a list) was, but for an empty list. Other replacements may be valid (a
        string for a string, a null for an optional field, an empty map of tags), and so may anything inside
        free-form JSON (an event's `input`, a workflow state's payload)."""
        if self.value is None or set(self.path[:-1]) & FREE_FORM:
            return False
        if self.path[-1] == "DependsOn" and isinstance(self.value, list):  # a raw resource's: one name, or a list
            return not all(isinstance(item, str) for item in self.value)
        if isinstance(self.original, dict):  # `keys: []` is read as no keys: an empty list is an empty section
            return not isinstance(self.value, dict) and self.value != []
        if isinstance(self.original, list):
            return not isinstance(self.value, list)
        return isinstance(self.value, (dict, list))


@st.composite
def wrong_type_case(draw: Any) -> Replacement:
    path = draw(st.sampled_from(ALL_PATHS))
    value = draw(any_value)
    return Replacement(render(_set(BASE, path, value)), path, _get(BASE, path), value)


def wrong_type() -> st.SearchStrategy[bytes]:
    return wrong_type_case().map(lambda case: case.raw)


GOLDEN = Path(__file__).resolve().parent / "golden"
# Every golden case's spec: together they use every kind with most of its options.
# An environment spec (`extends`) is left out: rendered alone into a temp dir, it would lose its base.
GOLDEN_BASES = [spec for spec in (yaml.safe_load(path.read_text()) for path in sorted(GOLDEN.glob("*/spec.yaml")))
                if "extends" not in spec]


@st.composite
def golden_wrong_type_case(draw: Any) -> Replacement:
    """A wrong value anywhere in any golden case's spec: every kind's validation and build meet bad input."""
    base = draw(st.sampled_from(GOLDEN_BASES))
    path = draw(st.sampled_from(_paths(base)))
    value = draw(any_value)
    return Replacement(render(_set(base, path, value)), path, _get(base, path), value)


def golden_wrong_type() -> st.SearchStrategy[bytes]:
    return golden_wrong_type_case().map(lambda case: case.raw)


@st.composite
def unknown_field(draw: Any) -> bytes:
    path = draw(st.sampled_from(OBJECT_PATHS))
    key = draw(st.one_of(names.map(lambda n: f"x_{n}"),
                         st.sampled_from(["memroy", "handlr", "partition", "rgions", "tag", "usageplan", "Memory"])))
    data = copy.deepcopy(BASE)
    target = _get(data, path)
    target[key] = draw(st.one_of(st.integers(0, 9), st.text(max_size=5)))
    return render(data)


@st.composite
def unknown_reference(draw: Any) -> bytes:
    missing = draw(names.filter(lambda n: n not in ("orders", "events", "create", "read", "standard")))
    where = draw(st.sampled_from(["table", "topic", "route", "alarm", "api_key", "destination", "invoke"]))
    data = copy.deepcopy(BASE)
    if where == "table":
        data["functions"]["read"]["uses"]["tables"] = {missing: "read"}
    elif where == "topic":
        data["functions"]["create"]["uses"]["topics"] = {missing: "publish"}
    elif where == "route":
        data["routes"]["GET /orders/{id}"] = missing
    elif where == "alarm":
        data["alarms"]["errors"]["metric"] = f"functions.{missing}.Errors"
    elif where == "api_key":
        data["api_keys"]["portal"]["usage_plan"] = missing
    elif where == "destination":
        data["functions"]["read"]["async_invocation"] = {"on_failure": "destination",
                                                         "destination": f"topics.{missing}"}
    else:
        data["functions"]["read"]["uses"]["functions"] = {missing: "invoke"}
    return render(data)


@st.composite
def reference_cycle(draw: Any) -> bytes:
    data = copy.deepcopy(BASE)
    kind = draw(st.sampled_from(["self", "pair", "destination"]))
    if kind == "self":
        data["functions"]["read"]["uses"]["functions"] = {"read": "invoke"}
    elif kind == "pair":
        data["functions"]["read"]["uses"]["functions"] = {"create": "invoke"}
        data["functions"]["create"]["uses"]["functions"] = {"read": "invoke"}
    else:
        data["functions"]["read"]["uses"]["functions"] = {"create": "invoke"}
        data["functions"]["create"]["async_invocation"] = {"on_failure": "destination",
                                                           "destination": "functions.read"}
    return render(data)


# text_level kinds whose result may still be a valid spec: a duplicated list item or line of a block scalar, a
# spec truncated after a complete entry, a number YAML reads as an integer within its field's range (`1_000_000`);
# after a byte order mark, a few random bytes may be only whitespace or a comment.
MAY_STILL_COMPILE = ("duplicate", "truncate", "huge_number", "bom_garbage")


def text_level() -> st.SearchStrategy[bytes]:
    return text_level_case().map(lambda case: case[1])


@st.composite
def text_level_case(draw: Any) -> tuple[str, bytes]:
    """Hostile YAML that no dict can express (duplicate keys, tags, aliases, encodings, garbage): (kind, text)."""
    return _text_level(draw)


def _text_level(draw: Any) -> tuple[str, bytes]:
    text = render(BASE).decode()
    lines = text.splitlines()
    kind = draw(st.sampled_from(["duplicate", "python_tag", "cfn_tag", "bomb", "recursive_alias", "empty",
                                 "garbage", "latin1", "bom_garbage", "truncate", "deep", "nesting_bomb", "huge_number",
                                 "control_chars", "tabs"]))
    if kind == "duplicate":
        index = draw(st.integers(0, len(lines) - 1))
        lines.insert(index, lines[index])
        return kind, ("\n".join(lines) + "\n").encode()
    if kind == "python_tag":
        tag = draw(st.sampled_from(["!!python/object/apply:os.system [echo pwned]", "!!python/name:os.system",
                                    "!!python/object/new:dict {}", "!!binary aGVsbG8="]))
        return kind, text.replace("service: shop", f"service: {tag}").encode()
    if kind == "cfn_tag":
        return kind, text.replace("environment: dev", "environment: !Ref Env").encode()
    if kind == "bomb":
        depth = draw(st.integers(3, 12))
        bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        bomb += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, depth)]
        return kind, ("\n".join(bomb) + "\n" + text).encode()
    if kind == "recursive_alias":
        return kind, (text + "x: &r [*r]\n").encode()
    if kind == "empty":
        return kind, draw(st.sampled_from([b"", b"\n\n", b"# nothing\n", b"---\n", b"...\n", b"   \t\n"]))
    if kind == "garbage":
        return kind, draw(st.binary(min_size=1, max_size=400))
    if kind == "latin1":
        return kind, text.replace("team", "équipe").encode("latin-1")
    if kind == "bom_garbage":
        return kind, b"\xef\xbb\xbf" + draw(st.binary(max_size=50)) + text.encode()
    if kind == "truncate":
        return kind, text.encode()[: draw(st.integers(1, len(text) - 1))]
    if kind == "deep":
        depth = draw(st.integers(30, 200))
        return kind, (text + "tags: " + "[" * depth + "]" * depth + "\n").encode()
    if kind == "nesting_bomb":  # 30,000 levels in 60 KB crashed PyYAML's C composer (exit 139) before any check
        depth = draw(st.integers(20_000, 40_000))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}")]))
        return kind, (text + "tags: " + opener * depth + closer * depth + "\n").encode()
    if kind == "huge_number":
        number = draw(st.sampled_from(["1e400", "-1e400", ".inf", ".nan", "9" * 500, "0x" + "f" * 100, "1_000_000"]))
        field = draw(st.sampled_from(["memory: 512", "timeout: 10", "specc: 1", "rate: 10", "burst: 5"]))
        return kind, text.replace(field, field.split(":")[0] + ": " + number, 1).encode()
    if kind == "control_chars":
        return kind, text.replace("Owner", "Ow\x00ner\x1b").encode()
    return kind, text.replace("  ", "\t", 1).encode()


# Where odd_names puts its name; AWS takes long and non-ASCII tags (up to its limits), and a route path may hold
# non-ASCII text, so those two may compile; every other place must refuse the name.
MAY_FIT = ("tag", "route")


@st.composite
def odd_names(draw: Any) -> tuple[str, bytes]:
    """Very long and non-ASCII names: entries, the service, the environment, tag keys."""
    long_name = draw(st.from_regex(r"[a-z][a-z0-9_]{40,120}", fullmatch=True))
    unicode_name = draw(st.text(st.characters(min_codepoint=0xA0, max_codepoint=0x2FFF), min_size=1, max_size=30))
    data = copy.deepcopy(BASE)
    where = draw(st.sampled_from(["function", "table", "service", "environment", "tag", "unicode_function",
                                  "unicode_service", "route"]))
    if where == "function":
        data["functions"][long_name] = data["functions"].pop("read")
        data["routes"]["GET /orders/{id}"] = long_name
    elif where == "table":
        data["tables"][long_name] = data["tables"]["orders"]
    elif where == "service":
        data["service"] = long_name.replace("_", "-")
    elif where == "environment":
        data["environment"] = long_name[: draw(st.integers(11, 40))]
    elif where == "tag":
        data["tags"][unicode_name] = long_name * 3
    elif where == "unicode_function":
        data["functions"][unicode_name] = data["functions"].pop("read")
    elif where == "unicode_service":
        data["service"] = unicode_name
    else:
        data["routes"][f"GET /{unicode_name}"] = "read"
    return where, render(data)


@st.composite
def valid_variation(draw: Any) -> bytes:
    """Specs that must compile: entries added, removed and tuned within their limits."""
    data = copy.deepcopy(BASE)
    plain = st.from_regex(r"[a-z][a-z0-9]{0,12}", fullmatch=True)  # no `_`: `a` and `a_` share a logical ID (E302)
    for name in draw(st.lists(plain.filter(lambda n: n not in data["functions"]), max_size=3, unique=True)):
        data["functions"][name] = {"handler": f"{HANDLER}:handler", "memory": draw(st.integers(128, 10240)),
                                   "timeout": draw(st.integers(1, 900)),
                                   "uses": {"tables": {"orders": draw(st.sampled_from(["read", "write",
                                                                                       "read_write"]))}}}
    if draw(st.booleans()):
        del data["alarms"]
    if draw(st.booleans()):
        data["defaults"] = {"log_retention_days": draw(st.sampled_from([7, 30, 90, 365, 3653]))}
    if draw(st.booleans()):
        data["security"] = {"deletion_policy": draw(st.sampled_from(["Retain", "Delete"])),
                            "required_tags": ["Owner"]}
    return render(data)


# An existing Python file outside any test project: the standard library's os.py, reached by an absolute path or by
# climbing out with `..` (more than enough of them: past `/`, `..` stays at `/`).
OUTSIDE_PY = Path(os.__file__).resolve()
CLIMB = "../" * 40 + OUTSIDE_PY.as_posix().lstrip("/")


@st.composite
def code_outside(draw: Any) -> bytes:
    """Code from outside the project (here: the compile's temporary directory): E250 to E252, never compiled."""
    data = copy.deepcopy(BASE)
    where = draw(st.sampled_from(["absolute", "climb", "code_root", "code"]))
    function = data["functions"][draw(st.sampled_from(["create", "read"]))]
    if where == "absolute":
        function["handler"] = f"{OUTSIDE_PY.as_posix()}:handler"
    elif where == "climb":
        function["handler"] = f"{CLIMB}:handler"
    elif where == "code_root":
        data["code_root"] = draw(st.sampled_from(["/", "..", "../..", str(OUTSIDE_PY.parent)]))
    else:
        function["code"] = draw(st.sampled_from(["..", "/", "../" * 8, str(OUTSIDE_PY.parent)]))
    return render(data)


# Credentials in the formats the secret scan knows (fakes), and where a spec copies free text into a template.
CREDENTIALS = ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
               "ghp_Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXcVb", "xoxb-263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1",
               "sk_live_51Hq2bLKf8sT0aQmZpXv3Yc9W", "postgres://app:Tr0ub4dor-and-3@db.internal:5432/shop",
               "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"]


@st.composite
def secret_in_clear(draw: Any) -> tuple[str, bytes]:
    """A credential in an environment value, a tag or a description, alone or inside other text: E254, masked."""
    data = copy.deepcopy(BASE)
    secret = draw(st.sampled_from(CREDENTIALS))
    value = draw(st.sampled_from(["{}", "token {} for the partner", "{}"])).format(secret)
    where = draw(st.sampled_from(["environment", "tag", "description", "key_description"]))
    if where == "environment":
        data["functions"][draw(st.sampled_from(["create", "read"]))].setdefault("environment", {})["UPSTREAM"] = value
    elif where == "tag":
        data["tags"]["Deploy"] = value
    elif where == "description":
        data["functions"]["create"]["description"] = value
    else:
        data["keys"]["data"]["description"] = value
    return secret, render(data)


MALFORMED = st.one_of(wrong_type(), golden_wrong_type(), unknown_field(), unknown_reference(), reference_cycle(),
                      text_level(), odd_names().map(lambda case: case[1]), code_outside(),
                      secret_in_clear().map(lambda case: case[1]))


@dataclass
class Outcome:
    exit_code: int
    codes: tuple[str, ...]
    output: str = ""


def compile_in(workdir: Path, raw: bytes) -> Outcome:
    """Compile `raw` over a previous output and check the invariant; return what happened."""
    functions: dict[str, set[str]] = {HANDLER: {"handler"}}  # golden cases' files, with the functions they name
    for file, function in re.findall(rb"handler: ([\w./-]+\.py):(\w+)", raw)[:20]:
        functions.setdefault(file.decode(), {"handler"}).add(function.decode())
    for handler, names in functions.items():
        if ".." not in handler and not handler.startswith("/"):
            (workdir / handler).parent.mkdir(parents=True, exist_ok=True)
            (workdir / handler).write_text("".join(f"def {n}(event, context):\n    return {{}}\n"
                                                   for n in sorted(names)))
    for directory in re.findall(rb"\bcode: ([\w./-]+)", raw)[:20]:  # layers' and functions' code directories
        if b".." not in directory and not directory.startswith(b"/"):
            (workdir / directory.decode()).mkdir(parents=True, exist_ok=True)
    spec = workdir / "spec.yaml"
    spec.write_bytes(raw)
    out = workdir / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    (out / "previous.json").write_text("{}")  # what the previous compile left
    result = CliRunner().invoke(main, ["compile", str(spec), "--out", str(out)])
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output and "internal error" not in output, output
    assert result.exit_code in (0, 1), (result.exit_code, output)
    left = sorted(p.name for p in workdir.iterdir() if p.name.startswith(".out."))
    assert left == [], left  # no staging or backup directory left behind
    if result.exit_code == 0:
        written = sorted(p.name for p in out.iterdir())
        assert "previous.json" not in written and {"service.json", "manifest.json"} <= set(written), written
        return Outcome(0, (), output)
    lines = [line for line in output.split("\n") if line.strip()]  # real newlines only: one diagnostic, one line
    assert lines and SUMMARY.match(lines[-1]), output
    diagnostics = lines[:-1]
    assert diagnostics and all(LOCATED.match(line) for line in diagnostics), output
    assert sorted(p.name for p in out.iterdir()) == ["previous.json"], "a failed compile wrote output"
    return Outcome(1, tuple(sorted({LOCATED.match(line).group(1) for line in diagnostics})), output)


def compile_fresh(raw: bytes) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        return compile_in(Path(tmp), raw)
