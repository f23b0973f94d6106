"""SQS queues: a customer-managed key, a redrive dead-letter queue, TLS only, and Lambda consumers.

A consumer is an event source mapping: Lambda's pollers receive batches with the consuming function's role,
so that role gets exactly the actions polling needs on this queue (receive, delete, read its attributes) and
the key's Decrypt; with `report_batch_item_failures` the function returns the IDs of the messages that failed
and only those are retried. Every queue has its dead-letter queue: a message received `max_receive_count`
times without being deleted moves there (and the standard `queue_dlq_depth` alarm fires).
"""

from __future__ import annotations

from typing import Any, ClassVar

from awacs.aws import Action, PolicyDocument
from pydantic import Field, model_validator
from troposphere import GetAtt, Ref, Sub, awslambda, sqs
from troposphere.validators import integer

from specc.build.context import BuildContext
from specc.build.iam import Grant, deny_insecure_transport, key_grant
from specc.build.naming import camel, logical_id
from specc.kinds import existing
from specc.kinds.base import Attribute, Kind, Metrics, NameRule, Reference, getatt_attribute, ref_attribute
from specc.kinds.existing import existing_field
from specc.language.types import Name, SpecModel

CONSUME_ACTIONS = ("sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage")
SEND_ACTIONS = ("sqs:SendMessage",)
RETENTION_MAX = 1_209_600  # 14 days, SQS's longest


class MappingScalingConfig(awslambda.ScalingConfig):
    """An event source mapping's ScalingConfig: troposphere 4.11.1 defines `awslambda.ScalingConfig` twice and the
    later one (MaxEnvironments) shadows the mapping's (MaximumConcurrency), so this restores the mapping's props."""

    props: ClassVar[dict[str, tuple[Any, bool]]] = {"MaximumConcurrency": (integer, False)}


class Consumer(SpecModel):
    """A function that Lambda invokes with batches of the queue's messages."""

    function: Name = Field(description="The function (from `functions`) invoked.", examples=["worker"])
    batch_size: int = Field(10, ge=1, le=10000, description="Most messages per invocation (above 10 needs a "
                            "`batching_window`).", examples=[10])
    batching_window: int = Field(0, ge=0, le=300, description="Seconds Lambda may wait to fill a batch.",
                                 examples=[5])
    report_batch_item_failures: bool = Field(True, description="The function returns `batchItemFailures` and only "
                                             "those messages are retried (not the whole batch).", examples=[True])
    max_concurrency: int | None = Field(None, ge=2, le=1000, description="Most concurrent invocations this queue "
                                        "causes; default: no limit beyond the function's.", examples=[5])

    @model_validator(mode="after")
    def _window(self) -> Consumer:
        if self.batch_size > 10 and self.batching_window == 0:
            raise ValueError("a batch_size above 10 needs a batching_window of at least 1 second (an SQS rule)")
        return self


class QueueSpec(SpecModel):
    """A standard SQS queue with its dead-letter queue, or one that exists (`existing:`)."""

    existing: str | None = existing_field("queues")

    encryption: Name | None = Field(None, description="The key (from `keys`) for both queues; default: "
                                    "`defaults.key`.", examples=["data"])
    visibility_timeout: int = Field(180, ge=0, le=43200, description="Seconds a received message stays hidden from "
                                    "other receivers; at least 6 × the timeout of each consuming function, as AWS "
                                    "recommends.", examples=[180])
    retention_seconds: int = Field(345600, ge=60, le=RETENTION_MAX, description="How long a message is kept "
                                   "(default 4 days).", examples=[86400])
    delay_seconds: int = Field(0, ge=0, le=900, description="Seconds before a new message can be received.",
                               examples=[0])
    receive_wait_seconds: int = Field(20, ge=0, le=20, description="Long polling: seconds a receive waits for "
                                      "messages.", examples=[20])
    max_receive_count: int = Field(5, ge=1, le=1000, description="Receives before a message moves to the "
                                   "dead-letter queue.", examples=[3])
    dead_letter_retention_seconds: int = Field(RETENTION_MAX, ge=60, le=RETENTION_MAX, description="How long the "
                                               "dead-letter queue keeps messages (default 14 days).",
                                               examples=[RETENTION_MAX])
    consumers: list[Consumer] = Field(default_factory=list, description="Functions invoked with the queue's messages.",
                                      examples=[[{"function": "worker", "batch_size": 10, "batching_window": 5}]])

    @model_validator(mode="after")
    def _consumers(self) -> QueueSpec:
        functions = [c.function for c in self.consumers]
        if len(set(functions)) != len(functions):
            raise ValueError("a function consumes a queue once: list it once in `consumers`")
        if self.retention_seconds > self.dead_letter_retention_seconds:
            raise ValueError("the dead-letter queue must keep messages at least as long as the queue "
                             "(SQS keeps a message's original timestamp when it moves)")
        return self


def dead_letter_name(ctx: BuildContext, name: str) -> str:
    return f"{ctx.physical(name)}-dlq"


def _arn(physical: str) -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{physical}")


def _tls_only(queue_ids: list[str]) -> PolicyDocument:
    return PolicyDocument(Version="2012-10-17", Statement=[deny_insecure_transport(
        [Action("sqs", "*")], [GetAtt(queue_id, "Arn") for queue_id in queue_ids])])


def build(ctx: BuildContext, name: str, spec: QueueSpec) -> None:
    origin = ("queues", name)
    queue_id, dlq_id = logical_id(name, "Queue"), logical_id(name, "QueueDeadLetterQueue")
    key_arn = GetAtt(logical_id(ctx.key_for(spec.encryption), "Key"), "Arn")
    ctx.add(sqs.Queue(
        dlq_id,
        QueueName=dead_letter_name(ctx, name),
        KmsMasterKeyId=key_arn,
        KmsDataKeyReusePeriodSeconds=300,
        MessageRetentionPeriod=spec.dead_letter_retention_seconds,
        # Only this queue may move messages here (named by ARN: a GetAtt would make the two queues a cycle).
        RedriveAllowPolicy={"redrivePermission": "byQueue", "sourceQueueArns": [_arn(ctx.physical(name))]},
    ), origin)
    ctx.add(sqs.Queue(
        queue_id,
        QueueName=ctx.physical(name),
        KmsMasterKeyId=key_arn,
        KmsDataKeyReusePeriodSeconds=300,
        VisibilityTimeout=spec.visibility_timeout,
        MessageRetentionPeriod=spec.retention_seconds,
        DelaySeconds=spec.delay_seconds,
        ReceiveMessageWaitTimeSeconds=spec.receive_wait_seconds,
        RedrivePolicy=sqs.RedrivePolicy(deadLetterTargetArn=GetAtt(dlq_id, "Arn"),
                                        maxReceiveCount=spec.max_receive_count),
    ), origin)
    ctx.add(sqs.QueuePolicy(logical_id(name, "QueuePolicy"), Queues=[Ref(queue_id), Ref(dlq_id)],
                            PolicyDocument=_tls_only([queue_id, dlq_id])), origin)
    for index, consumer in enumerate(spec.consumers):
        _consumer(ctx, name, spec, consumer, origin + ("consumers", index))
    ctx.output(logical_id(name, "QueueUrl"), Ref(queue_id), f"URL of the {name} queue")


def build_existing(ctx: BuildContext, name: str, spec: QueueSpec) -> None:
    """An existing queue: only its consumers (their mappings and the grants polling needs), nothing of the queue."""
    for index, consumer in enumerate(spec.consumers):
        _consumer(ctx, name, spec, consumer, ("queues", name, "consumers", index))


def _consumer(ctx: BuildContext, name: str, spec: QueueSpec, consumer: Consumer, origin: tuple[Any, ...]) -> None:
    from specc.kinds.functions import invoke_arn

    function = consumer.function
    policy_id = logical_id(function, "Policy")
    ctx.grant(logical_id(function, "Role"), policy_id, grant(ctx, name, "consume"))
    mapping = awslambda.EventSourceMapping(
        f"{camel(name)}Queue{camel(function)}Mapping",
        EventSourceArn=(existing.arn(ctx, "queues", name) if spec.existing is not None
                        else GetAtt(logical_id(name, "Queue"), "Arn")),
        FunctionName=invoke_arn(ctx, function),
        BatchSize=consumer.batch_size,
        MaximumBatchingWindowInSeconds=consumer.batching_window,
        Enabled=True,
        DependsOn=[policy_id],  # Lambda checks the role can poll the queue when the mapping is created
    )
    if consumer.report_batch_item_failures:
        mapping.FunctionResponseTypes = ["ReportBatchItemFailures"]
    if consumer.max_concurrency is not None:
        mapping.ScalingConfig = MappingScalingConfig(MaximumConcurrency=consumer.max_concurrency)
    ctx.add(mapping, origin)


def grant(ctx: BuildContext, name: str, access: str) -> list[Grant]:
    spec: QueueSpec = ctx.spec.queues[name]
    key = ctx.key_for(spec.encryption) if spec.existing is None or spec.encryption else None
    queue_arn = (existing.arn(ctx, "queues", name) if spec.existing is not None
                 else GetAtt(logical_id(name, "Queue"), "Arn"))
    if access == "send":
        found = [Grant(sid=f"SendTo{camel(name)}Queue", actions=SEND_ACTIONS, resources=(queue_arn,))]
        return found + ([key_grant(key, ("kms:Decrypt", "kms:GenerateDataKey"))] if key else [])
    found = [Grant(sid=f"Consume{camel(name)}Queue", actions=CONSUME_ACTIONS, resources=(queue_arn,))]
    return found + ([key_grant(key, ("kms:Decrypt",))] if key else [])


def existing_url(ctx: BuildContext, name: str) -> Any:
    """An existing queue's URL, from its ARN's region and account (SQS calls take the URL)."""
    from specc.kinds.expressions import resolve

    found = existing.named(ctx, "queues", name)
    region = found.region or "${aws.region}"
    account = found.account or "${aws.account_id}"
    return resolve(ctx, f"https://sqs.{region}.${{aws.url_suffix}}/{account}/{found.name}")


def references(name: str, spec: QueueSpec) -> list[Reference]:
    refs = []
    if spec.encryption:
        refs.append(Reference(("queues", name, "encryption"), "keys", spec.encryption))
    refs += [Reference(("queues", name, "consumers", index, "function"), "functions", consumer.function,
                       relation="triggers") for index, consumer in enumerate(spec.consumers)]
    return refs


def names(spec: Any, name: str, entry: QueueSpec) -> list[NameRule]:
    return [NameRule("queue name", spec.physical(name), 80),
            NameRule("dead-letter queue name", f"{spec.physical(name)}-dlq", 80)]


KIND = Kind(
    section="queues",
    singular="queue",
    model=QueueSpec,
    description="SQS queues (customer-managed key, a redrive dead-letter queue, TLS only) and their Lambda "
                "consumers.",
    build=build,
    build_existing=build_existing,
    references=references,
    access={"send": "sqs:SendMessage", "consume": "receive, delete and read the attributes of messages"},
    grant=grant,
    env_value=existing.either("queues", existing_url, lambda ctx, name: Ref(logical_id(name, "Queue"))),
    attributes={"arn": existing.existing_or("queues", "arn", getatt_attribute("Queue", "Arn", "ARN of the queue")),
                "name": existing.existing_or("queues", "name",
                                             getatt_attribute("Queue", "QueueName", "name of the queue")),
                "url": Attribute("URL of the queue, which SQS calls take", existing.either(
                    "queues", existing_url, ref_attribute("Queue", "").value))},
    metrics=Metrics(
        namespace="AWS/SQS",
        names=("ApproximateAgeOfOldestMessage", "ApproximateNumberOfMessagesDelayed",
               "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesVisible", "NumberOfEmptyReceives",
               "NumberOfMessagesDeleted", "NumberOfMessagesReceived", "NumberOfMessagesSent", "SentMessageSize"),
        dimensions=lambda ctx, name: [("QueueName", existing.either(
            "queues", lambda c, n: existing.resource_name(c, "queues", n), lambda c, n: c.physical(n))(ctx, name))],
    ),
    names=names,
)
