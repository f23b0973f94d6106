"""Overrides (`overrides:`): set or remove properties of the resources specc generates, by spec entry and role.

CDK's `addOverride`/`addPropertyDeletionOverride` and the Serverless Framework's `resources.extensions`, addressed
the way a spec thinks: `tables.orders.table`, `functions.create_payment.role`, `functions.create_payment.log_group`
(`<section>.<entry>.<role>`; `<section>.<role>` for the one-object sections: `network.vpc`). A resource's role is
its logical ID without the entry's own prefix, in snake case (`CreatePaymentLogGroup` -> `log_group`); an address
that matches nothing is an error listing what is there, never a guess.

Overrides apply to the built template before the security profile runs (compiler.py), so one that weakens a
control fails it unless `security.exceptions` says why. Each is checked against CloudFormation's schema of the
resource's type (unknown property, missing required property, wrong type) at its own line, and recorded in the
resource's `Metadata.specc.overrides`.
"""

from __future__ import annotations

import copy
import difflib
import re
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field

from specc.build.naming import camel
from specc.kinds.base import Kind
from specc.language.diagnostics import Diagnostic
from specc.language.types import SpecModel

ADDRESS_PATTERN = r"^[a-z][a-z0-9_]*(\..+)?\.[a-z][a-z0-9_]*$"
UNKNOWN_ADDRESS = "E330"
UNKNOWN_PROPERTY = "E331"
MISSING_PROPERTY = "E332"
WRONG_TYPE = "E333"
NOT_ALLOWED = "E334"
NOTHING_TO_REMOVE = "E335"
UNKNOWN_TARGET = "E336"
if TYPE_CHECKING:
    from specc.build.context import BuildContext

_SNAKE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


class OverrideSpec(SpecModel):
    """Changes to one generated resource's `Properties`. Property paths are dotted for nested properties
    (`ContributorInsightsSpecification.Enabled`; a number indexes a list)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True, populate_by_name=False)

    set_: dict[str, Any] = Field(default_factory=dict, alias="set", description="Property path -> the value it "
                                 "takes (replacing what specc generated there). Strings may name spec entries as "
                                 "`${section.entry.attribute}`.",
                                 examples=[{"ContributorInsightsSpecification.Enabled": True}])
    remove: list[str] = Field(default_factory=list, description="Property paths to delete.",
                              examples=[["Description"]])
    reason: str = Field("", max_length=512, description="Why: recorded with the override in the resource's "
                        "Metadata.", examples=["ops dashboards read the table's top keys"])


def build(ctx: Any, name: str, spec: OverrideSpec) -> None:
    """Nothing to build: overrides edit the finished template (`apply`, called by the compiler)."""


def role_of(title: str, entry: str | None) -> str:
    prefix = camel(entry) if entry else ""
    rest = title[len(prefix):] if prefix and title.startswith(prefix) and len(title) > len(prefix) else title
    return _SNAKE.sub("_", rest).lower()


def addresses(ctx: BuildContext, resources: dict[str, Any]) -> dict[str, str]:
    """Override address -> logical ID of every generated resource (raw resources are edited where written)."""
    found: dict[str, str] = {}
    taken: set[str] = set()
    for title, origin in sorted(ctx.origins.items()):
        if title not in resources or not origin or origin[0] == "resources":
            continue
        section = str(origin[0])
        keyed = isinstance(getattr(ctx.spec, section, None), dict) and len(origin) > 1
        entry = str(origin[1]) if keyed else None
        address = f"{section}.{entry}.{role_of(title, entry)}" if keyed else f"{section}.{role_of(title, None)}"
        if address in taken:  # two resources of one entry with one role: both by their full logical ID instead
            address = address.rsplit(".", 1)[0] + "." + role_of(title, None)
        taken.add(address)
        found[address] = title
    return found


def _parts(path: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in path.split(".")]


def _plain(value: Any) -> Any:
    from troposphere import encode_to_dict

    return encode_to_dict(value)


def apply(ctx: BuildContext, template: dict[str, Any]) -> list[Diagnostic]:
    """Edit `template` (plain dicts) as `overrides` says; the located problems, if any."""
    from specc.kinds.resources import resolved

    resources: dict[str, Any] = template.get("Resources") or {}
    known = addresses(ctx, resources)
    problems: list[Diagnostic] = []
    for address, override in sorted(ctx.spec.overrides.items()):
        title = known.get(address)
        if title is None:
            problems.append(_unknown_address(ctx, address, known))
            continue
        resource = resources[title]
        properties = copy.deepcopy(resource.get("Properties") or {})
        found: list[Diagnostic] = []
        for key, value in override.set_.items():
            plain = _plain(resolved(ctx, value))
            found += _unknown_targets(ctx, resources, ("overrides", address, "set", key), plain)
            trouble = _set(properties, _parts(key), plain)
            if trouble:
                found.append(ctx.source.diagnostic(WRONG_TYPE, ("overrides", address, "set", key), trouble,
                                                   "set the enclosing property as a whole", at_key=True))
        removed: list[tuple[int, list[Any]]] = []
        for index, key in enumerate(override.remove):
            parts = _parts(key)
            if not _remove(properties, parts):
                found.append(_absent(ctx, resource["Type"], address, index, key, parts))
            else:
                removed.append((index, parts))
        found += _schema_problems(ctx, resource["Type"], address, override, properties, removed)
        if found:
            problems += found
            continue
        if properties:
            resource["Properties"] = properties
        else:
            resource.pop("Properties", None)
        _record(resource, address, override)
    return problems


def _unknown_targets(ctx: BuildContext, resources: dict[str, Any], path: tuple[Any, ...],
                     value: Any) -> list[Diagnostic]:
    """A Ref, Fn::GetAtt or ${...} in an override must name a resource of the template (or a pseudo parameter):
    CloudFormation refuses anything else for the whole stack ("Unresolved resource dependencies"), and the split
    could not tell which stack holds it."""
    from specc.kinds.resources import raw_names

    found: list[Diagnostic] = []
    for _, target, variables in raw_names(value, ()):
        if target.startswith("AWS::") or target in resources or target in variables:
            continue
        guess = difflib.get_close_matches(target, sorted(resources), n=1)
        found.append(ctx.source.diagnostic(
            UNKNOWN_TARGET, path, f"a reference names '{target}', which is not a resource of this service's template"
            + (f"; did you mean '{guess[0]}'?" if guess else ""),
            "name a generated resource by its logical ID (`specc compile` writes them), a raw resource, or a spec "
            "entry in a plain string as ${section.entry.attribute}"))
    return found


def _set(properties: dict[str, Any], parts: list[Any], value: Any) -> str:
    here: Any = properties
    for depth, part in enumerate(parts[:-1]):
        following = parts[depth + 1]
        if isinstance(here, dict):
            if part not in here:
                here[part] = [] if isinstance(following, int) else {}
            here = here[part]
        elif isinstance(here, list) and isinstance(part, int) and part < len(here):
            here = here[part]
        else:
            return f"'{'.'.join(map(str, parts[:depth + 1]))}' cannot be reached: its parent is not a mapping"
    last = parts[-1]
    if isinstance(here, dict) and not isinstance(last, int):
        here[last] = value
        return ""
    if isinstance(here, list) and isinstance(last, int) and last <= len(here):
        if last == len(here):
            here.append(value)
        else:
            here[last] = value
        return ""
    where = ".".join(map(str, parts[:-1])) or "Properties"
    return f"'{where}' holds {'a list' if isinstance(here, list) else 'a value'}, so '{last}' cannot be set in it"


def _remove(properties: dict[str, Any], parts: list[Any]) -> bool:
    here: Any = properties
    for part in parts[:-1]:
        in_list = isinstance(here, list) and isinstance(part, int) and part < len(here)
        if (isinstance(here, dict) and part in here) or in_list:
            here = here[part]
        else:
            return False
    last = parts[-1]
    if isinstance(here, dict) and last in here:
        del here[last]
        return True
    if isinstance(here, list) and isinstance(last, int) and last < len(here):
        del here[last]
        return True
    return False


def _absent(ctx: BuildContext, resource_type: str, address: str, index: int, key: str, parts: list[Any]) -> Diagnostic:
    from specc.build.cfn_schema import UNKNOWN_PROPERTY as UNKNOWN
    from specc.build.cfn_schema import check_properties_in

    probe: dict[str, Any] = {}
    _set(probe, parts, {"Ref": "AWS::NoValue"})
    unknown = [p for p in check_properties_in(resource_type, probe, list(ctx.spec.regions))
               if p.kind == UNKNOWN and list(p.path) == parts[:len(p.path)]]
    path = ("overrides", address, "remove", index)
    if unknown:
        return ctx.source.diagnostic(UNKNOWN_PROPERTY, path, f"{resource_type}: " + unknown[0].message, unknown[0].hint)
    return ctx.source.diagnostic(NOTHING_TO_REMOVE, path, f"nothing to remove: specc does not set '{key}' on "
                                 f"{address}", "remove this line: an override that changes nothing is stale")


def _schema_problems(ctx: BuildContext, resource_type: str, address: str, override: OverrideSpec,
                     properties: dict[str, Any], removed: list[tuple[int, list[Any]]]) -> list[Diagnostic]:
    """The schema's findings the override caused: at or under a path it sets, or a required property it removed
    (what specc generated itself is cfn-lint's business)."""
    from specc.build import cfn_schema

    codes = {cfn_schema.UNKNOWN_PROPERTY: UNKNOWN_PROPERTY, cfn_schema.MISSING_PROPERTY: MISSING_PROPERTY,
             cfn_schema.WRONG_TYPE: WRONG_TYPE, cfn_schema.NOT_IN_ENUM: NOT_ALLOWED}
    set_paths = sorted(((key, _parts(key)) for key in override.set_), key=lambda item: -len(item[1]))
    found = []
    for problem in cfn_schema.check_properties_in(resource_type, properties, list(ctx.spec.regions)):
        path = list(problem.path)
        spec_path: tuple[Any, ...] | None = None
        for key, parts in set_paths:
            if path[:len(parts)] == parts:
                spec_path = ("overrides", address, "set", key, *path[len(parts):])
                break
        if spec_path is None and problem.kind == cfn_schema.MISSING_PROPERTY:
            missing = problem.message.rsplit("'", 2)[1]
            for index, parts in removed:
                if parts == path + [missing]:
                    spec_path = ("overrides", address, "remove", index)
        if spec_path is None:
            continue
        at_key = problem.kind == cfn_schema.UNKNOWN_PROPERTY and len(spec_path) == 4
        found.append(ctx.source.diagnostic(codes[problem.kind], spec_path, f"{resource_type}: {problem.message}",
                                           problem.hint, at_key=at_key))
    return found


def _unknown_address(ctx: BuildContext, address: str, known: dict[str, str]) -> Diagnostic:
    guess = difflib.get_close_matches(address, list(known), n=1)
    prefix = address.rsplit(".", 1)[0]
    section = address.split(".", 1)[0]
    here = sorted(a for a in known if a.rsplit(".", 1)[0] == prefix)
    if here:
        hint = f"roles of {prefix}: " + ", ".join(a.rsplit(".", 1)[1] for a in here)
    else:
        in_section = sorted(a for a in known if a.split(".", 1)[0] == section)
        sections = sorted({a.split(".", 1)[0] for a in known})
        hint = ("addresses in " + section + ": " + ", ".join(in_section[:40]) if in_section
                else "sections with generated resources: " + ", ".join(sections))
    return ctx.source.diagnostic(
        UNKNOWN_ADDRESS, ("overrides", address),
        f"no generated resource has the address '{address}'" + (f"; did you mean '{guess[0]}'?" if guess else ""),
        hint, at_key=True)


def _record(resource: dict[str, Any], address: str, override: OverrideSpec) -> None:
    entry: dict[str, Any] = {"spec": f"overrides.{address}"}
    if override.set_:
        entry["set"] = sorted(override.set_)
    if override.remove:
        entry["remove"] = sorted(override.remove)
    if override.reason:
        entry["reason"] = override.reason
    metadata = resource.setdefault("Metadata", {})
    specc = metadata.setdefault("specc", {})
    specc.setdefault("overrides", []).append(entry)


KIND = Kind(
    section="overrides",
    singular="override",
    model=OverrideSpec,
    description="Changes to the properties of resources specc generates, by `<section>.<entry>.<role>` "
    "(`tables.orders.table`, `functions.pay.role`): checked against CloudFormation's schema, applied before the "
    "security profile, recorded in the resource's Metadata (docs/raw-resources-and-overrides.md).",
    build=build,
    key_pattern=ADDRESS_PATTERN,
)
