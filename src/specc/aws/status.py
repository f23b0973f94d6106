"""`specc status`: what is deployed where, and whether it is what the spec compiles to now.

Templates are compared by the sha256 of their canonical JSON rendering (how specc writes them), so the
answer does not depend on whether AWS hands a template back as text or parsed. A StackSet instance
matches when the stack set's template matches and the instance is CURRENT (AWS's word for "runs the
stack set's template"); OUTDATED instances are reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from specc.aws import stacks, stacksets
from specc.aws.session import Aws, AwsError, explained
from specc.aws.targets import Target
from specc.output import bootstrap

if TYPE_CHECKING:
    from specc.compiler import Compiled

MATCHES, DIFFERS, OUTDATED, MISSING, UNKNOWN = "matches", "differs", "outdated", "not deployed", "unknown"


@dataclass(frozen=True)
class Row:
    region: str
    account: str
    what: str  # "bootstrap <stack>", "stack <name>", "stack set <name>", "instance"
    status: str
    template: str  # matches | differs | outdated | not deployed | unknown: <why>


def stack_row(aws: Aws, name: str, region: str, what: str, expected_sha: str | None) -> Row:
    """One stack's status; `expected_sha` None means "any template" (the bootstrap, compared by its own sha)."""
    cfn = aws.client("cloudformation", region)
    where = f"stack {name} in {region}"
    stack = stacks.describe(cfn, name, where)
    if stack is None or stack["StackStatus"] == "REVIEW_IN_PROGRESS":
        return Row(region, aws.account, what, "-", MISSING)
    with explained(f"reading the template of {where}"):
        body = cfn.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
    same = stacksets.canonical_sha256(body) == expected_sha
    return Row(region, aws.account, what, stack["StackStatus"], MATCHES if same else DIFFERS)


def bootstrap_rows(aws: Aws, compiled: Compiled, targets: list[Target], role_name: str) -> list[Row]:
    expected = stacksets.canonical_sha256(compiled.templates["bootstrap.json"])
    name = bootstrap.stack_name(compiled.spec.artifacts.bucket_prefix)
    rows = []
    for target in targets:
        try:
            account = aws.in_account(target.account, role_name)
            rows.append(stack_row(account, name, target.region, f"bootstrap {name}", expected))
        except AwsError as exc:
            rows.append(Row(target.region, target.account, f"bootstrap {name}", "-", f"{UNKNOWN}: {exc}"))
    return rows


def stack_set_rows(aws: Aws, properties: dict[str, Any], service_sha: str, region: str) -> list[Row]:
    cfn = aws.client("cloudformation", region)
    name = properties["StackSetName"]
    described = stacksets.describe(cfn, name)
    what = f"stack set {name}"
    if described is None:
        return [Row(region, aws.account, what, "-", MISSING)]
    same = stacksets.canonical_sha256(described.get("TemplateBody")) == service_sha
    rows = [Row(region, aws.account, what, described.get("Status", ""), MATCHES if same else DIFFERS)]
    found = {(i.region, i.account): i for i in stacksets.instances(cfn, name)}
    for instance in found.values():
        state = f"{instance.status} {instance.detailed}".strip()
        if instance.reason:
            state += f" ({instance.reason})"
        verdict = MATCHES if same and instance.status == "CURRENT" and not instance.failed else (
            DIFFERS if not same else OUTDATED)
        rows.append(Row(instance.region, instance.account, "instance", state, verdict))
    for group in properties.get("StackInstancesGroup", []):
        for account in group.get("DeploymentTargets", {}).get("Accounts", []):
            for target_region in group["Regions"]:
                if (target_region, account) not in found:
                    rows.append(Row(target_region, account, "instance", "-", MISSING))
    return rows[:1] + sorted(rows[1:], key=lambda r: (r.region, r.account))


def render(rows: list[Row]) -> str:
    header = Row("REGION", "ACCOUNT", "DEPLOYED AS", "STATUS", "TEMPLATE")
    table = [header, *rows]
    widths = [max(len(getattr(r, f)) for r in table) for f in ("region", "account", "what", "status")]
    lines = []
    for row in table:
        cells = [row.region, row.account, row.what, row.status]
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths)) + "  " + row.template)
    return "\n".join(lines) + "\n"


def summary(rows: list[Row]) -> str:
    counts = {verdict: sum(1 for r in rows if r.template.startswith(verdict))
              for verdict in (MATCHES, DIFFERS, OUTDATED, MISSING, UNKNOWN)}
    parts = [f"{counts[MATCHES]} of {len(rows)} match the compiled output"]
    parts += [f"{count} {verdict}" for verdict, count in counts.items() if verdict != MATCHES and count]
    return ", ".join(parts)
