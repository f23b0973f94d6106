"""`specc status`: what is deployed where, and whether it is what the spec compiles to now.

Templates are compared by the sha256 of their canonical JSON rendering (how specc writes them), so the
answer does not depend on whether AWS hands a template back as text or parsed. A StackSet instance
matches when the stack set's template matches and the instance is CURRENT (AWS's word for "runs the
stack set's template"); OUTDATED instances are reported as such. A template that matches is not enough:
each deployed stack's resources are checked too (specc.aws.resource_checks), and a stack with a resource
deleted or changed behind its back is "drifted", never "matches".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from specc.aws import resource_checks, stacks, stacksets
from specc.aws.session import EXECUTION_ROLE, Aws, AwsError, explained
from specc.aws.targets import Target
from specc.output import bootstrap

if TYPE_CHECKING:
    from specc.output.compiled import Compiled

MATCHES, DIFFERS, OUTDATED, MISSING, UNKNOWN = "matches", "differs", "outdated", "not deployed", "unknown"
DRIFTED = "drifted"  # the template matches, but a resource was deleted or changed outside CloudFormation


@dataclass(frozen=True)
class Row:
    region: str
    account: str
    what: str  # "bootstrap <stack>", "stack <name>", "stack set <name>", "instance"
    status: str
    template: str  # matches | drifted | differs | outdated | not deployed | unknown: <why>
    resources: resource_checks.ResourceCheck | None = None  # None: not checked (not deployed, or --templates-only)


def _checked(aws: Aws, region: str, stack: str, verdict: str,
             check: bool) -> tuple[str, resource_checks.ResourceCheck | None]:
    """The verdict once the stack's resources are checked: `matches` becomes `drifted` when one is missing or
    modified, and `unknown` when they cannot be read (a template that matches says nothing about them)."""
    if not check:
        return verdict, None
    try:
        found = resource_checks.check_stack(aws, region, stack)
    except AwsError as exc:
        return f"{UNKNOWN}: checking its resources: {exc}", None
    return (DRIFTED if verdict == MATCHES and found.drifted else verdict), found


def stack_row(aws: Aws, name: str, region: str, what: str, expected_sha: str | None,
              check_resources: bool = True) -> Row:
    """One stack's status; `expected_sha` None means "any template" (the bootstrap, compared by its own sha)."""
    cfn = aws.client("cloudformation", region)
    where = f"stack {name} in {region}"
    stack = stacks.describe(cfn, name, where)
    if stack is None or stack["StackStatus"] == "REVIEW_IN_PROGRESS":
        return Row(region, aws.account, what, "-", MISSING)
    with explained(f"reading the template of {where}"):
        body = cfn.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
    same = stacksets.canonical_sha256(body) == expected_sha
    verdict, found = _checked(aws, region, stack["StackId"], MATCHES if same else DIFFERS, check_resources)
    return Row(region, aws.account, what, stack["StackStatus"], verdict, found)


def bootstrap_rows(aws: Aws, compiled: Compiled, targets: list[Target], role_name: str,
                   check_resources: bool = True) -> list[Row]:
    expected = stacksets.canonical_sha256(compiled.templates["bootstrap.json"])
    name = bootstrap.stack_name(compiled.spec.artifacts.bucket_prefix)
    rows = []
    for target in targets:
        try:
            account = aws.in_account(target.account, role_name)
            rows.append(stack_row(account, name, target.region, f"bootstrap {name}", expected, check_resources))
        except AwsError as exc:
            rows.append(Row(target.region, target.account, f"bootstrap {name}", "-", f"{UNKNOWN}: {exc}"))
    return rows


def stack_set_rows(aws: Aws, properties: dict[str, Any], service_sha: str, region: str,
                   role_name: str = EXECUTION_ROLE, check_resources: bool = True,
                   regions: list[str] | None = None) -> list[Row]:
    """The stack set and its instances (only those in `regions`, when given)."""
    cfn = aws.client("cloudformation", region)
    name = properties["StackSetName"]
    described = stacksets.describe(cfn, name)
    what = f"stack set {name}"
    if described is None:
        return [Row(region, aws.account, what, "-", MISSING)]
    same = stacksets.canonical_sha256(described.get("TemplateBody")) == service_sha
    rows = [Row(region, aws.account, what, described.get("Status", ""), MATCHES if same else DIFFERS)]
    found = {(i.region, i.account): i for i in stacksets.instances(cfn, name) if not regions or i.region in regions}
    for instance in found.values():
        state = f"{instance.status} {instance.detailed}".strip()
        if instance.reason:
            state += f" ({instance.reason})"
        verdict = MATCHES if same and instance.status == "CURRENT" and not instance.failed else (
            DIFFERS if not same else OUTDATED)
        resources = None
        if check_resources and instance.stack_id:
            try:  # the instance's stack, read in its own account and region
                in_account = aws.in_account(instance.account, role_name)
            except AwsError as exc:
                verdict = f"{UNKNOWN}: {exc}"
            else:
                verdict, resources = _checked(in_account, instance.region, instance.stack_id, verdict, True)
        rows.append(Row(instance.region, instance.account, "instance", state, verdict, resources))
    for group in properties.get("StackInstancesGroup", []):
        for account in group.get("DeploymentTargets", {}).get("Accounts", []):
            for target_region in group["Regions"]:
                if (target_region, account) not in found and (not regions or target_region in regions):
                    rows.append(Row(target_region, account, "instance", "-", MISSING))
    return rows[:1] + sorted(rows[1:], key=lambda r: (r.region, r.account))


def _mode(row: Row) -> str:
    """How the row's part of the service is deployed: `stacks` (`specc deploy`), `stack set` (`specc rollout`
    and its instances), or `bootstrap` (what both need)."""
    if row.what == "instance" or row.what.startswith("stack set "):
        return "stack set"
    return "bootstrap" if row.what.startswith("bootstrap ") else "stacks"


def unused_modes(rows: list[Row]) -> set[str]:
    """`stacks` or `stack set` when none of that mode is deployed while the other one is: a service deployed only
    with `specc deploy` has no StackSet by design (and one rolled out has no `deploy` stack), which is no difference."""
    deployed = {_mode(r) for r in rows if r.template != MISSING}
    modes = {"stacks", "stack set"}
    return {mode for mode in modes if mode not in deployed} if deployed & modes else set()


def differences(rows: list[Row]) -> list[Row]:
    """The rows `status --exit-code` fails on: anything not as compiled, except the rows of an unused mode."""
    unused = unused_modes(rows)
    return [r for r in rows if r.template != MATCHES and _mode(r) not in unused]


def render(rows: list[Row]) -> str:
    header = Row("REGION", "ACCOUNT", "DEPLOYED AS", "STATUS", "TEMPLATE")
    table = [header, *rows]
    widths = [max(len(getattr(r, f)) for r in table) for f in ("region", "account", "what", "status")]
    lines = []
    for row in table:
        cells = [row.region, row.account, row.what, row.status]
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + "  " + row.template)
    checked = [(row, row.resources) for row in rows if row.resources is not None]
    lines += ["RESOURCES"] if checked else []
    lines += [f"  {row.region} {row.account} {row.what}: {found.describe()}" for row, found in checked]
    return "\n".join(lines) + "\n"


def summary(rows: list[Row]) -> str:
    counts = {verdict: sum(1 for r in rows if r.template.startswith(verdict))
              for verdict in (MATCHES, DRIFTED, DIFFERS, OUTDATED, MISSING, UNKNOWN)}
    parts = [f"{counts[MATCHES]} of {len(rows)} match the compiled output"]
    parts += [f"{count} {verdict}" for verdict, count in counts.items() if verdict != MATCHES and count]
    parts += [{"stacks": "no `specc deploy` stack (rolled out as a stack set)",
               "stack set": "no stack set (deployed with `specc deploy`)"}[mode] for mode in sorted(unused_modes(rows))]
    return ", ".join(parts)
