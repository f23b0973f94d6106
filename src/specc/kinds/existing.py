"""Existing resources: an entry with `existing: <ARN, name or ID>` names a resource made elsewhere, and specc
creates nothing for it (docs/outputs-and-existing-resources.md).

The entry stays in its own section, so what works on a created entry works on it: `uses` grants least privilege
on exactly its ARN (and on its key, when `encryption` names one), `${tables.legacy.arn}` and `.name` resolve to
the given values, and functions get the same environment variables. What only a created resource can have (its
key schema, triggers, subscriptions, a rotation) is refused by checks/existing.py.

A value may be a bare name or ID, which becomes an ARN in the stack's own partition, region and account (what a
StackSet needs: one spec, many accounts and regions), or a full ARN, where `${aws.partition}`, `${aws.region}` and
`${aws.account_id}` stand for the same. This is CDK's `Table.fromTableArn` / `fromTableName` and the Serverless
Framework's literal ARNs, with the name checked at compile time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from specc.kinds.base import Attribute

if TYPE_CHECKING:
    from specc.build.context import BuildContext

# The placeholders a value may hold, and a stand-in of the right form for checking its shape.
STAND_INS = {"${aws.partition}": "aws", "${aws.region}": "us-east-1", "${aws.account_id}": "111111111111",
             "${aws.url_suffix}": "amazonaws.com"}
_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):"
                  r"(?P<account>[0-9]*):(?P<resource>.+)$")
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
ACCOUNT = re.compile(r"^[0-9]{12}$")


@dataclass(frozen=True)
class Form:
    """How one section's resources are named: the ARN's service, its resource part around the name, and the name."""

    what: str  # "table name", for messages
    service: str
    prefix: str  # the resource part before the name: "table/"
    name: str  # a regular expression for the name or ID
    example: str
    regional: bool = True  # S3 bucket ARNs name no region and no account


FORMS: dict[str, Form] = {
    "tables": Form("table name", "dynamodb", "table/", r"[A-Za-z0-9_.-]{3,255}",
                   "arn:${aws.partition}:dynamodb:${aws.region}:${aws.account_id}:table/legacy-orders"),
    "buckets": Form("bucket name", "s3", "", r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "legacy-uploads-${aws.region}",
                    regional=False),
    "queues": Form("queue name", "sqs", "", r"[A-Za-z0-9_-]{1,80}(\.fifo)?",
                   "arn:${aws.partition}:sqs:${aws.region}:${aws.account_id}:legacy-jobs"),
    "topics": Form("topic name", "sns", "", r"[A-Za-z0-9_-]{1,256}(\.fifo)?",
                   "arn:${aws.partition}:sns:${aws.region}:${aws.account_id}:legacy-alerts"),
    # A partner bus's name holds `/` (aws.partner/saas.example/123/orders): rules listen on it like on any other.
    "event_buses": Form("event bus name", "events", "event-bus/", r"[/.\-_A-Za-z0-9]{1,256}",
                        "arn:${aws.partition}:events:${aws.region}:${aws.account_id}:event-bus/legacy-orders"),
    "keys": Form("key ID", "kms", "key/", r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|"
                 r"mrk-[0-9a-f]{32})",
                 "arn:${aws.partition}:kms:${aws.region}:${aws.account_id}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    "secrets": Form("secret name", "secretsmanager", "secret:", r"[A-Za-z0-9/_+=.@-]{1,512}",
                    "arn:${aws.partition}:secretsmanager:${aws.region}:${aws.account_id}:secret:legacy-db-AbCdEf"),
}


@dataclass(frozen=True)
class Named:
    """An existing value, understood: its ARN and name as spec text (with `${aws.*}`), and what it hard-codes."""

    arn: str
    name: str
    region: str | None = None  # a literal region in the ARN
    account: str | None = None  # a literal account in the ARN


def is_existing(entry: Any) -> bool:
    return getattr(entry, "existing", None) is not None


def understand(section: str, value: str) -> Named | str:
    """The ARN and name `value` stands for, or why it is not one of `section`'s resources (a message)."""
    form = FORMS[section]
    stand_in = value
    for placeholder, example in STAND_INS.items():
        stand_in = stand_in.replace(placeholder, example)
    if "${" in stand_in:
        return ("only ${aws.partition}, ${aws.region}, ${aws.account_id} and ${aws.url_suffix} may appear in an "
                "existing resource's ARN or name")
    if not stand_in.startswith("arn:"):
        if not re.fullmatch(form.name, stand_in):
            return f"'{value}' is neither an ARN nor a {form.what}"
        return Named(arn=_arn(form, value), name=value)
    match = _ARN.fullmatch(stand_in)
    if match is None or match["service"] != form.service:
        return f"'{value}' is not an ARN of {form.service}"
    if form.regional and not (match["region"] and match["account"]):
        return f"'{value}' names no region or no account"
    if not form.regional and (match["region"] or match["account"]):
        return f"'{value}': an S3 bucket ARN names no region and no account"
    resource = match["resource"]
    if not resource.startswith(form.prefix) or not re.fullmatch(form.name, resource[len(form.prefix):]):
        return f"'{value}' does not end in a {form.what}"
    fields = value.split(":", 5)  # as written: arn, partition, service, region, account, resource
    return Named(arn=value, name=fields[5][len(form.prefix):],
                 region=fields[3] if REGION.fullmatch(fields[3]) else None,
                 account=fields[4] if ACCOUNT.fullmatch(fields[4]) else None)


def _arn(form: Form, name: str) -> str:
    if not form.regional:
        return f"arn:${{aws.partition}}:{form.service}:::{name}"
    return f"arn:${{aws.partition}}:{form.service}:${{aws.region}}:${{aws.account_id}}:{form.prefix}{name}"


def named(ctx: BuildContext, section: str, name: str) -> Named:
    """The checked existing value of entry `name` (checks/existing.py refused any other)."""
    found = understand(section, getattr(ctx.spec, section)[name].existing)
    assert isinstance(found, Named), found
    return found


def arn(ctx: BuildContext, section: str, name: str, suffix: str = "") -> Any:
    """The existing resource's ARN as CloudFormation: a string, or a Sub of its `${aws.*}` placeholders."""
    from specc.kinds.expressions import resolve

    return resolve(ctx, named(ctx, section, name).arn + suffix)


def resource_name(ctx: BuildContext, section: str, name: str) -> Any:
    from specc.kinds.expressions import resolve

    return resolve(ctx, named(ctx, section, name).name)


def either(section: str, existing: Callable[[BuildContext, str], Any],
           created: Callable[[BuildContext, str], Any]) -> Callable[[BuildContext, str], Any]:
    """A value of an entry: `existing` for one named by `existing:`, `created` for one specc creates."""
    def value(ctx: BuildContext, name: str) -> Any:
        entry = getattr(ctx.spec, section)[name]
        return existing(ctx, name) if is_existing(entry) else created(ctx, name)
    return value


def existing_or(section: str, attribute: str, created: Attribute) -> Attribute:
    """An attribute (`arn`, `name`) that resolves to the given value for an existing entry."""
    getter = arn if attribute == "arn" else resource_name
    return Attribute(created.description, either(section, lambda ctx, name: getter(ctx, section, name),
                                                 created.value), created.condition)


def existing_field(section: str) -> Any:
    """The `existing:` field of a section's model."""
    from pydantic import Field

    form = FORMS[section]
    key = (" (and on the key `encryption` names, the only other field it takes)"
           if "encryption" in ALLOWED_IN.get(section, ALLOWED) else "")
    return Field(None, min_length=1, max_length=2048, description=f"An existing resource: its ARN or {form.what}, "
                 "where `${aws.region}`, `${aws.account_id}` and `${aws.partition}` stand for the stack's own. "
                 f"specc creates nothing for it; `uses` grants on exactly it{key}.", examples=[form.example])


# Fields an existing entry may set, besides `existing`: `encryption` names the key (from `keys`, itself usually
# existing) its data is encrypted with, so that `uses` grants on that key too.
ALLOWED = frozenset({"existing", "encryption"})
# ...and what a section still builds on an existing entry: Lambda's consumers of an existing queue (CDK's
# SqsEventSource on `Queue.fromQueueArn`).
# An event bus has no `encryption` to name: `uses` grants events:PutEvents, which needs no key of the caller.
ALLOWED_IN = {"queues": ALLOWED | {"consumers"}, "event_buses": frozenset({"existing"})}
