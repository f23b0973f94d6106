"""SNS topics: encrypted with a customer-managed key, TLS-only publishing, subscriptions as resources."""

from __future__ import annotations

from typing import Any, Literal

from awacs.aws import Action, Allow, Condition, PolicyDocument, Principal, Statement, StringEquals
from pydantic import Field, model_validator
from troposphere import AccountId, GetAtt, Ref, sns

from specc.build.context import BuildContext
from specc.build.iam import Grant, deny_insecure_transport, key_grant
from specc.build.naming import logical_id, short_hash
from specc.kinds import existing
from specc.kinds.base import Kind, Metrics, NameRule, Reference, getatt_attribute, ref_attribute
from specc.kinds.existing import existing_field
from specc.language.types import Name, SpecModel


class Subscription(SpecModel):
    protocol: Literal["email", "email-json", "https", "sqs", "lambda", "sms"] = Field(
        description="Delivery protocol (plain `http` is refused: TLS only).", examples=["email"])
    endpoint: str = Field(min_length=1, max_length=2048, description="Address, URL or ARN to deliver to.",
                          examples=["oncall@example.com"])
    raw_message_delivery: bool = Field(False, description="Deliver the raw message (sqs and https only).",
                                       examples=[True])

    @model_validator(mode="after")
    def _endpoint(self) -> Subscription:
        if self.protocol == "https" and not self.endpoint.startswith("https://"):
            raise ValueError("an https subscription endpoint must start with https://")
        if self.protocol in ("email", "email-json") and "@" not in self.endpoint:
            raise ValueError("an email subscription endpoint must be an email address")
        if self.protocol in ("sqs", "lambda") and not self.endpoint.startswith("arn:"):
            raise ValueError(f"an {self.protocol} subscription endpoint must be an ARN")
        if self.raw_message_delivery and self.protocol not in ("sqs", "https"):
            raise ValueError("raw_message_delivery applies to sqs and https subscriptions only")
        return self


class TopicSpec(SpecModel):
    """An SNS topic, or one that exists (`existing:`)."""

    existing: str | None = existing_field("topics")

    encryption: Name | None = Field(
        None, description="The key (from `keys`) that encrypts the topic; default: `defaults.key`.",
        examples=["data"])
    display_name: str | None = Field(None, max_length=100, description="Shown as the sender of SMS and email.",
                                     examples=["Payments alerts"])
    subscriptions: list[Subscription] = Field(default_factory=list, description="Who receives the messages.")

    @model_validator(mode="after")
    def _no_duplicates(self) -> TopicSpec:
        seen: set[tuple[str, str]] = set()
        for subscription in self.subscriptions:
            key = (subscription.protocol, subscription.endpoint)
            if key in seen:
                raise ValueError(f"subscription {subscription.protocol}:{subscription.endpoint} is listed twice")
            seen.add(key)
        return self


# Services that publish to a topic on the account's behalf (CloudWatch alarm actions).
PUBLISHING_SERVICES = ("cloudwatch.amazonaws.com",)


def build(ctx: BuildContext, name: str, spec: TopicSpec) -> None:
    topic_id = logical_id(name, "Topic")
    key = ctx.key_for(spec.encryption)
    topic = sns.Topic(topic_id, TopicName=ctx.physical(name),
                      KmsMasterKeyId=GetAtt(logical_id(key, "Key"), "Arn"))
    if spec.display_name:
        topic.DisplayName = spec.display_name
    ctx.add(topic, ("topics", name))
    for service in PUBLISHING_SERVICES:
        ctx.use_key(key, ("kms:Decrypt", "kms:GenerateDataKey"), service=service,
                    conditions=[StringEquals("aws:SourceAccount", AccountId)])
    ctx.add(sns.TopicPolicy(
        logical_id(name, "TopicPolicy"),
        Topics=[Ref(topic_id)],
        PolicyDocument=PolicyDocument(Version="2012-10-17", Statement=[
            deny_insecure_transport([Action("sns", "Publish")], [Ref(topic_id)]),
            Statement(
                Sid="AlarmsPublish",
                Effect=Allow,
                Principal=Principal("Service", list(PUBLISHING_SERVICES)),
                Action=[Action("sns", "Publish")],
                Resource=[Ref(topic_id)],
                Condition=Condition(StringEquals("aws:SourceAccount", AccountId)),
            ),
        ]),
    ), ("topics", name))
    for index, subscription in enumerate(spec.subscriptions):
        digest = short_hash(subscription.protocol, subscription.endpoint, length=8)
        resource = sns.SubscriptionResource(
            f"{topic_id}Subscription{digest}",
            TopicArn=Ref(topic_id),
            Protocol=subscription.protocol,
            Endpoint=subscription.endpoint,
        )
        if subscription.raw_message_delivery:
            resource.RawMessageDelivery = True
        ctx.add(resource, ("topics", name, "subscriptions", index))
    ctx.output(logical_id(name, "TopicArn"), Ref(topic_id), f"ARN of the {name} topic")


def topic_arn(ctx: BuildContext, name: str) -> Any:
    """What alarms notify: the topic, or an existing one's ARN (whose policy must let CloudWatch publish)."""
    if existing.is_existing(ctx.spec.topics[name]):
        return existing.arn(ctx, "topics", name)
    return Ref(logical_id(name, "Topic"))


def grant(ctx: BuildContext, name: str, access: str) -> list[Grant]:
    spec: TopicSpec = ctx.spec.topics[name]
    topic = existing.arn(ctx, "topics", name) if spec.existing is not None else Ref(logical_id(name, "Topic"))
    found = [Grant(sid=logical_id(name, "TopicPublish"), actions=("sns:Publish",), resources=(topic,))]
    if spec.existing is None or spec.encryption:
        found.append(key_grant(ctx.key_for(spec.encryption), ("kms:Decrypt", "kms:GenerateDataKey")))
    return found


def references(name: str, spec: TopicSpec) -> list[Reference]:
    if spec.encryption:
        return [Reference(("topics", name, "encryption"), "keys", spec.encryption)]
    return []


def names(spec: Any, name: str, entry: TopicSpec) -> list[NameRule]:
    return [NameRule("topic name", spec.physical(name), 256)]


KIND = Kind(
    section="topics",
    singular="topic",
    model=TopicSpec,
    description="SNS topics (customer-managed key, TLS-only publishing).",
    build=build,
    references=references,
    access={"publish": "sns:Publish"},
    grant=grant,
    env_value=existing.either("topics", lambda ctx, name: existing.arn(ctx, "topics", name),
                              lambda ctx, name: Ref(logical_id(name, "Topic"))),
    attributes={"arn": existing.existing_or("topics", "arn", ref_attribute("Topic", "ARN of the topic")),
                "name": existing.existing_or("topics", "name",
                                             getatt_attribute("Topic", "TopicName", "name of the topic"))},
    metrics=Metrics(
        namespace="AWS/SNS",
        names=("NumberOfMessagesPublished", "NumberOfNotificationsDelivered", "NumberOfNotificationsFailed",
               "PublishSize"),
        dimensions=lambda ctx, name: [("TopicName", existing.either(
            "topics", lambda c, n: existing.resource_name(c, "topics", n), lambda c, n: c.physical(n))(ctx, name))],
    ),
    names=names,
)
