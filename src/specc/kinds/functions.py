"""Lambda functions: their own role, policy, encrypted log group and DLQ; tracing on; code by content hash.

The role's permissions are derived from `uses` by the IAM pass; this builder only adds what the
function needs for itself (its logs, traces, dead-letter queue and environment key).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from awacs.aws import Action, Allow, PolicyDocument, Principal, Statement
from awacs.sts import AssumeRole
from pydantic import Field, field_validator, model_validator
from troposphere import GetAtt, Ref, Sub, awslambda, iam, logs, sqs

from specc.build.context import BuildContext
from specc.build.iam import Grant, deny_insecure_transport, key_grant, use_logs_key
from specc.build.naming import camel, env_var_name, logical_id, short_hash
from specc.build.scanners import skip
from specc.kinds.base import Attribute, Kind, Metrics, NameRule, Reference, getatt_attribute, ref_attribute
from specc.language.types import RetentionDays, SpecModel

RUNTIMES = ("python3.10", "python3.11", "python3.12", "python3.13")
HANDLER_PATTERN = r"^[A-Za-z0-9_./-]+\.py:[A-Za-z_][A-Za-z0-9_]*$"
RESERVED_ENV = ("AWS_", "LAMBDA_", "_HANDLER", "_X_AMZN")
# Where an on-failure destination may point, and the access level the function needs on it.
DESTINATION_ACCESS = {"topics": "publish", "queues": "send", "functions": "invoke"}
DESTINATION_PATTERN = r"^(topics|queues|functions)\.[a-z][a-z0-9_]*$"

# Denied to every function role on every resource (deny_destructive): deleting or weakening what holds or
# protects data, and changing IAM. No function specc builds is granted any of them, so the Deny only bites
# when something else (a hand-attached policy, a compromised deployment) grants them.
DESTRUCTIVE_ACTIONS = (
    "cloudtrail:DeleteTrail", "cloudtrail:PutEventSelectors", "cloudtrail:StopLogging", "cloudtrail:UpdateTrail",
    "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel", "config:StopConfigurationRecorder",
    "dynamodb:DeleteBackup", "dynamodb:DeleteTable", "dynamodb:UpdateContinuousBackups",
    "iam:AttachRolePolicy", "iam:CreateAccessKey", "iam:CreateUser", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
    "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy",
    "kms:DeleteAlias", "kms:DisableKey", "kms:DisableKeyRotation", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion",
    "lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
    "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy", "logs:DisassociateKmsKey",
    "s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:PutBucketAcl", "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock", "s3:PutBucketVersioning", "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
    "secretsmanager:DeleteSecret", "secretsmanager:PutResourcePolicy",
    "sns:DeleteTopic", "sqs:DeleteQueue", "states:DeleteStateMachine",
)
# Grants whose actions AWS services perform on the function's behalf, not calls the handler makes.
SERVICE_SIDE_PREFIXES = ("ec2:", "logs:", "xray:")


class AsyncInvocation(SpecModel):
    """What happens to asynchronous invocations (events, not API calls) that keep failing."""

    retries: int = Field(2, ge=0, le=2, description="Retries after the first failed attempt.", examples=[0])
    max_event_age_seconds: int = Field(21600, ge=60, le=21600, description="Drop events older than this.",
                                       examples=[3600])
    on_failure: Literal["dead_letter_queue", "destination", "none"] = Field(
        "dead_letter_queue",
        description="Where failed events go: an encrypted SQS dead-letter queue (DeadLetterConfig), the same queue "
                    "as an on-failure destination (with request and response context), or `none` (recorded as an "
                    "opt-out in the template).", examples=["destination"])
    destination: str | None = Field(
        None, pattern=DESTINATION_PATTERN,
        description="With `on_failure: destination`: send failed events (with request and response context) to "
                    "this topic, queue or function instead of the function's own queue, as `section.name`.",
        examples=["topics.failures"])

    @model_validator(mode="after")
    def _destination(self) -> AsyncInvocation:
        if self.destination is not None and self.on_failure != "destination":
            raise ValueError("`destination` applies only with `on_failure: destination`")
        return self


# Service principals of the Alexa triggers (as SAM's AlexaSkill event and the Serverless Framework's alexaSkill
# and alexaSmartHome events): the permission is scoped to the skill with EventSourceToken.
ALEXA_PRINCIPALS = {"alexa_skill": "alexa-appkit.amazon.com", "alexa_smart_home": "alexa-connectedhome.amazon.com"}


class FunctionTrigger(SpecModel):
    """A service outside the spec that invokes the function: an Alexa skill (scoped to its skill ID), or any AWS
    service principal (scoped to the source ARN). Spec entries that trigger functions (queues, buckets, events,
    topics) say so in their own section."""

    alexa_skill: str | None = Field(
        None, description="The skill ID of an Alexa custom skill (`amzn1.ask.skill.` and a UUID, from the Alexa "
                          "developer console); only that skill may invoke the function.",
        examples=["amzn1.ask.skill.12345678-1234-1234-1234-123456789012"])
    alexa_smart_home: str | None = Field(
        None, description="The skill ID of an Alexa smart home skill; only that skill may invoke the function.",
        examples=["amzn1.ask.skill.12345678-1234-1234-1234-123456789012"])
    service: str | None = Field(
        None, description="Another AWS service principal that invokes the function (with `source_arn`).",
        examples=["iot.amazonaws.com"])
    source_arn: str | None = Field(
        None, description="With `service`: the only resource allowed to invoke the function; may use references "
                          "like `${aws.region}` (docs/references.md).",
        examples=["arn:aws:iot:${aws.region}:${aws.account_id}:rule/device_events"])
    source_account: str | None = Field(
        None, pattern=r"^[0-9]{12}$", description="With `service`: the account that owns `source_arn`, for services "
                                                  "whose ARNs name no account (like S3).", examples=["111111111111"])

    @model_validator(mode="after")
    def _one(self) -> FunctionTrigger:
        given = [f for f in ("alexa_skill", "alexa_smart_home", "service") if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError("a trigger is exactly one of `alexa_skill`, `alexa_smart_home` or `service`"
                             + (f", not {' and '.join(given)}" if given else ""))
        if self.service is None and (self.source_arn is not None or self.source_account is not None):
            raise ValueError("`source_arn` and `source_account` apply only with `service` (an Alexa trigger is "
                             "scoped by its skill ID)")
        return self

    def principal(self) -> str:
        for field_name, principal in ALEXA_PRINCIPALS.items():
            if getattr(self, field_name) is not None:
                return principal
        return str(self.service)

    def skill_id(self) -> str | None:
        return self.alexa_skill or self.alexa_smart_home


class FunctionSpec(SpecModel):
    """A Lambda function."""

    handler: str = Field(pattern=HANDLER_PATTERN, description="`path/to/file.py:function`, relative to "
                         "`code_root`.",
                         examples=["handlers/payments/create.py:handler"])
    code: str | None = Field(None, min_length=1, description="Directory zipped as the function's code, relative to "
                             "`code_root`; default: the handler file's directory. A `requirements.txt` there (each "
                             "package pinned) is installed for the function's runtime and architecture when the zip "
                             "is made (docs/dependencies-and-layers.md).", examples=["handlers/payments"])
    description: str = Field("", max_length=256, description="Shown in the Lambda console.",
                             examples=["Creates a payment"])
    runtime: Literal[RUNTIMES] | None = Field(None, description="Default: `defaults.runtime`.",  # type: ignore[valid-type]
                                              examples=["python3.12"])
    architecture: Literal["x86_64", "arm64"] = Field("x86_64", description="Instruction set.", examples=["arm64"])
    memory: int = Field(256, ge=128, le=10240, description="Memory in MB.", examples=[512])
    timeout: int = Field(30, ge=1, le=900, description="Seconds before an invocation is stopped.", examples=[10])
    environment: dict[str, str] = Field(
        default_factory=dict,
        description="Environment variables. Values may hold references, resolved at deploy time: "
                    "`${tables.NAME.name}`, `${queues.NAME.url}`, `${aws.region}`... (docs/references.md); "
                    "`$${` is a literal `${`.",
        examples=[{"CURRENCY": "EUR", "QUEUE_URL": "${queues.jobs.url}"}])
    reserved_concurrency: int | None = Field(None, ge=0, le=10000, description="Reserved concurrent executions.",
                                             examples=[50])
    provisioned_concurrency: int | None = Field(
        None, ge=1, le=10000,
        description="Pre-initialised environments on a `live` alias (API routes then call the alias).",
        examples=[2])
    tracing: bool = Field(True, description="X-Ray active tracing. Turning it off is recorded in the template.",
                          examples=[True])
    log_retention_days: RetentionDays | None = Field(None, description="Default: `defaults.log_retention_days`.",
                                                     examples=[30])
    async_invocation: AsyncInvocation = Field(default_factory=AsyncInvocation,
                                              description="Retries and failure handling of asynchronous invocations.")
    deny_destructive: bool = Field(
        True, description="An explicit Deny in the role's policy of destructive and IAM-changing actions (deleting "
                          "tables, buckets, keys, trails, log groups; changing bucket, key and role policies) on every "
                          "resource, so no other policy can grant them. Turning it off is recorded in the template.",
        examples=[True])
    deny_insecure_transport: bool = Field(
        True, description="An explicit Deny of the function's own data actions when a request is not made over TLS "
                          "(`aws:SecureTransport` false). Turning it off is recorded in the template.",
        examples=[True])
    network: Literal["none", "private"] = Field(
        "none", description="`private`: run in the private subnets of `network` behind its functions' security group "
                            "(no internet access unless `network.nat`; AWS services through its endpoints).",
        examples=["private"])
    triggers: list[FunctionTrigger] = Field(
        default_factory=list,
        description="Services outside the spec that invoke the function (an Alexa skill, an AWS service), each "
                    "with a Lambda permission scoped to the skill ID or the source ARN.",
        examples=[[{"alexa_skill": "amzn1.ask.skill.12345678-1234-1234-1234-123456789012"}]])
    layers: list[str] = Field(
        default_factory=list, max_length=5,
        description="Layers of the `layers` section the function runs with, in order (at most 5); their modules "
                    "are importable as top-level modules, after the function's own.", examples=[["common"]])
    uses: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="What the function may touch, by section, name and access level; this becomes its "
                    "least-privilege IAM policy and its environment variables (`TABLE_<NAME>`, `TOPIC_<NAME>`...).",
        examples=[{"tables": {"transactions": "write"}, "topics": {"payment_events": "publish"}}])

    @field_validator("environment")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        import re

        for name in value:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]+", name):  # Lambda's rule: two characters at least
                raise ValueError(f"environment variable name '{name}' must be two or more letters, digits and "
                                 "underscores, starting with a letter")
            if name.startswith(RESERVED_ENV):
                raise ValueError(f"environment variable '{name}' is reserved by Lambda")
        return value

    @field_validator("reserved_concurrency")
    @classmethod
    def _not_zero(cls, value: int | None) -> int | None:
        """0 is a valid Lambda setting that throttles every invocation: a function that silently never runs."""
        if value == 0:
            raise ValueError("reserved_concurrency 0 throttles every invocation: the function would never run; "
                             "leave it out to use the account's shared pool, or reserve at least 1 (to stop a "
                             "function, remove its routes, triggers and schedules)")
        return value

    @model_validator(mode="after")
    def _concurrency(self) -> FunctionSpec:
        if (self.provisioned_concurrency and self.reserved_concurrency is not None
                and self.provisioned_concurrency > self.reserved_concurrency):
            raise ValueError("provisioned_concurrency cannot exceed reserved_concurrency")
        return self


def handler_form_problem(value: str) -> tuple[str, str]:
    """What is wrong with a handler that is not `path/file.py:function`, with the corrected text when it can be
    guessed: the Serverless Framework and Lambda itself write `module.function` (`handler.lucky_number`)."""
    import re

    form = "`path/to/file.py:function`, relative to `code_root`"
    dotted = re.fullmatch(r"([A-Za-z0-9_./-]+)\.([A-Za-z_][A-Za-z0-9_]*)", value)
    if dotted and not value.endswith(".py"):
        module, function = dotted.groups()
        path = module if "/" in module else module.replace(".", "/")
        return (f"'{value}' is the module.function form of Lambda and the Serverless Framework; specc names the "
                f"file and the function: write '{path}.py:{function}'", form)
    if value.endswith(".py") and ":" not in value:
        return f"'{value}' names the file but not the function: write '{value}:handler' (or its function's name)", form
    colon = re.fullmatch(r"([A-Za-z0-9_./-]+):([A-Za-z_][A-Za-z0-9_]*)", value)
    if colon and not colon.group(1).endswith(".py"):
        return f"'{value}' names a module, not a file: write '{colon.group(1)}.py:{colon.group(2)}'", form
    return f"'{value}' does not have the expected form", form


def injected_environment(ctx: BuildContext, spec: FunctionSpec) -> dict[str, Any]:
    """Variables specc sets: the service, the environment, and one per entry the function uses."""
    from specc.kinds import BY_SECTION

    values: dict[str, Any] = {"SERVICE": ctx.spec.service, "ENVIRONMENT": ctx.spec.environment}
    for section, entries in sorted(spec.uses.items()):
        kind = BY_SECTION[section]
        for target in sorted(entries):
            if kind.env_value:
                values[env_var_name(kind.singular, target)] = kind.env_value(ctx, target)
    return values


def has_own_queue(spec: FunctionSpec) -> bool:
    """The function gets its own dead-letter queue unless failures go elsewhere (or nowhere)."""
    failure = spec.async_invocation
    return failure.on_failure == "dead_letter_queue" or (
        failure.on_failure == "destination" and not failure.destination)


def invoke_arn(ctx: BuildContext, name: str) -> Any:
    """What callers invoke: the `live` alias when the function has one, else the function."""
    if ctx.spec.functions[name].provisioned_concurrency:
        return Ref(logical_id(name, "Alias"))
    return GetAtt(logical_id(name, "Function"), "Arn")


def build(ctx: BuildContext, name: str, spec: FunctionSpec) -> None:
    origin = ("functions", name)
    fn_id, role_id, policy_id = (logical_id(name, s) for s in ("Function", "Role", "Policy"))
    log_id, dlq_id = logical_id(name, "LogGroup"), logical_id(name, "DeadLetterQueue")
    physical = ctx.physical(name)
    data_key = ctx.key_for(None)
    logs_key = ctx.logs_key()
    artifact = ctx.artifacts[name]

    ctx.add(iam.Role(
        role_id,
        Description=f"Execution role of {physical}",
        AssumeRolePolicyDocument=PolicyDocument(Version="2012-10-17", Statement=[Statement(
            Effect=Allow, Principal=Principal("Service", "lambda.amazonaws.com"), Action=[AssumeRole])]),
    ), origin)

    log_group = logs.LogGroup(
        log_id,
        LogGroupName=f"/aws/lambda/{physical}",
        RetentionInDays=spec.log_retention_days or ctx.spec.defaults.log_retention_days,
        KmsKeyId=GetAtt(logical_id(logs_key, "Key"), "Arn"),
    )
    ctx.add(log_group, origin)
    use_logs_key(ctx, logs_key, f"/aws/lambda/{ctx.physical('*')}")  # every function's: one ARN pattern

    grants = [
        Grant(sid="WriteOwnLogs", actions=("logs:CreateLogStream", "logs:PutLogEvents"),
              resources=(GetAtt(log_id, "Arn"),)),
        key_grant(data_key, ("kms:Decrypt",), sid_prefix="Environment"),
    ]
    if spec.tracing:
        grants.append(Grant(sid="WriteTraces", actions=("xray:PutTelemetryRecords", "xray:PutTraceSegments"),
                            resources=("*",)))

    from specc.kinds.expressions import resolve

    environment = {**injected_environment(ctx, spec),
                   **{variable: resolve(ctx, value) for variable, value in spec.environment.items()}}
    function = awslambda.Function(
        fn_id,
        FunctionName=physical,
        Description=spec.description or f"{ctx.spec.service} {name}",
        Code=awslambda.Code(
            S3Bucket=Sub(f"{ctx.spec.artifacts.bucket_prefix}-${{AWS::AccountId}}-${{AWS::Region}}"),
            S3Key=f"{ctx.spec.service}/{artifact.s3_key}",
        ),
        Handler=artifact.handler,
        Runtime=spec.runtime or ctx.spec.defaults.runtime,
        Architectures=[spec.architecture],
        MemorySize=spec.memory,
        Timeout=spec.timeout,
        Role=GetAtt(role_id, "Arn"),
        Environment=awslambda.Environment(Variables=dict(sorted(environment.items()))),
        KmsKeyArn=GetAtt(logical_id(data_key, "Key"), "Arn"),
        TracingConfig=awslambda.TracingConfig(Mode="Active" if spec.tracing else "PassThrough"),
        DependsOn=[log_id, policy_id],
    )
    if spec.layers:
        function.Layers = [Ref(logical_id(layer, "Layer")) for layer in spec.layers]
    if not spec.tracing:
        ctx.opt_out(function, "tracing", origin + ("tracing",))
    if spec.network == "private":
        from specc.kinds.network import function_vpc

        function.VpcConfig, eni_grants = function_vpc(ctx)
        grants += eni_grants
    else:
        skip(function, "CKV_AWS_117", "`network: none` in the spec: the function calls only AWS APIs, over TLS and "
             "IAM-authorized; `network: private` runs it in the VPC (the pci profile requires it: SEC014)")
    if spec.reserved_concurrency is not None:
        function.ReservedConcurrentExecutions = spec.reserved_concurrency
    else:
        skip(function, "CKV_AWS_115", "no `reserved_concurrency` in the spec: a reservation is taken from the "
             "account's shared pool, and deploys fail where that pool is at its minimum; set it to cap this function")

    on_failure = spec.async_invocation.on_failure
    if has_own_queue(spec):
        ctx.add(sqs.Queue(
            dlq_id,
            QueueName=f"{physical}-dlq",
            KmsMasterKeyId=GetAtt(logical_id(data_key, "Key"), "Arn"),
            MessageRetentionPeriod=1209600,
        ), origin)
        ctx.add(sqs.QueuePolicy(
            logical_id(name, "DeadLetterQueuePolicy"),
            Queues=[Ref(dlq_id)],
            PolicyDocument=_tls_only_queue_policy(dlq_id),
        ), origin)
        grants.append(Grant(sid="SendToDeadLetterQueue", actions=("sqs:SendMessage",),
                            resources=(GetAtt(dlq_id, "Arn"),)))
        grants.append(key_grant(data_key, ("kms:Decrypt", "kms:GenerateDataKey")))
        if on_failure == "dead_letter_queue":
            function.DeadLetterConfig = awslambda.DeadLetterConfig(TargetArn=GetAtt(dlq_id, "Arn"))
    elif on_failure == "none":
        ctx.opt_out(function, "dead_letter_queue", origin + ("async_invocation", "on_failure"))
        skip(function, "CKV_AWS_116", "the spec turns failure handling off (`async_invocation.on_failure: none`), "
             "recorded in Metadata.specc.opt_outs")
    if on_failure == "destination":
        skip(function, "CKV_AWS_116", "failed asynchronous events go to an on-failure destination (its "
             "EventInvokeConfig), which keeps request and response context; a DeadLetterConfig would duplicate it")
    ctx.add(function, origin)

    if spec.provisioned_concurrency:
        # A new version is published exactly when the code or the configuration changes (as SAM's AutoPublishAlias).
        fingerprint = short_hash(artifact.content_hash, json.dumps(function.to_dict(), sort_keys=True, default=str))
        version_id = f"{fn_id}Version{fingerprint}"
        ctx.add(awslambda.Version(version_id, FunctionName=Ref(fn_id),
                                  Description=f"code {artifact.content_hash[:12]}"), origin)
        ctx.add(awslambda.Alias(
            logical_id(name, "Alias"),
            FunctionName=Ref(fn_id),
            FunctionVersion=GetAtt(version_id, "Version"),
            Name="live",
            ProvisionedConcurrencyConfig=awslambda.ProvisionedConcurrencyConfiguration(
                ProvisionedConcurrentExecutions=spec.provisioned_concurrency),
        ), origin)

    invoke_config = awslambda.EventInvokeConfig(
        logical_id(name, "EventInvokeConfig"),
        FunctionName=Ref(fn_id),
        Qualifier="live" if spec.provisioned_concurrency else "$LATEST",
        MaximumRetryAttempts=spec.async_invocation.retries,
        MaximumEventAgeInSeconds=spec.async_invocation.max_event_age_seconds,
    )
    if spec.provisioned_concurrency:  # callers invoke the alias, so its qualifier carries the settings
        invoke_config.DependsOn = [logical_id(name, "Alias")]
    if on_failure == "destination":
        invoke_config.DestinationConfig = awslambda.DestinationConfig(
            OnFailure=awslambda.OnFailure(Destination=_destination_arn(ctx, spec, dlq_id)))
        grants += _destination_grants(ctx, spec)
    ctx.add(invoke_config, origin)

    _triggers(ctx, name, spec, origin)
    grants += _uses_grants(ctx, spec)
    grants += _guardrails(ctx, spec, function, grants, origin)
    ctx.grant(role_id, policy_id, grants)
    ctx.output(logical_id(name, "FunctionName"), Ref(fn_id), f"Name of the {name} function")


def _triggers(ctx: BuildContext, name: str, spec: FunctionSpec, origin: tuple[Any, ...]) -> None:
    """One Lambda permission per trigger, never open to the whole service principal: an Alexa skill is named by
    its skill ID (EventSourceToken), any other service by its source ARN (and account, when given)."""
    from specc.kinds.expressions import resolve

    for index, trigger in enumerate(spec.triggers):
        principal = trigger.principal()
        scope = trigger.skill_id() or str(trigger.source_arn)
        kind = "AlexaSkill" if trigger.alexa_skill else "AlexaSmartHome" if trigger.alexa_smart_home else "Service"
        permission = awslambda.Permission(
            logical_id(name, f"{kind}Permission{short_hash(principal, scope, length=8).upper()}"),
            Action="lambda:InvokeFunction",
            FunctionName=invoke_arn(ctx, name),
            Principal=principal,
        )
        if trigger.skill_id():
            permission.EventSourceToken = trigger.skill_id()
        else:
            permission.SourceArn = resolve(ctx, str(trigger.source_arn))
            if trigger.source_account:
                permission.SourceAccount = trigger.source_account
        ctx.add(permission, origin + ("triggers", index))


def _uses_grants(ctx: BuildContext, spec: FunctionSpec) -> list[Grant]:
    from specc.kinds import BY_SECTION

    grants: list[Grant] = []
    for section, entries in sorted(spec.uses.items()):
        kind = BY_SECTION[section]
        assert kind.grant is not None  # the reference check refuses sections without grants
        for target, access in sorted(entries.items()):
            grants += kind.grant(ctx, target, access)
    return grants


def _destination_arn(ctx: BuildContext, spec: FunctionSpec, own_queue_id: str) -> Any:
    if spec.async_invocation.destination is None:
        return GetAtt(own_queue_id, "Arn")
    section, target = spec.async_invocation.destination.split(".")
    if section == "topics":
        return Ref(logical_id(target, "Topic"))
    if section == "functions":
        return invoke_arn(ctx, target)
    return GetAtt(logical_id(target, "Queue"), "Arn")


def _destination_grants(ctx: BuildContext, spec: FunctionSpec) -> list[Grant]:
    """Lambda delivers failed events with the function's own role, so the role may reach the destination."""
    from specc.kinds import BY_SECTION

    if spec.async_invocation.destination is None:
        return []
    section, target = spec.async_invocation.destination.split(".")
    kind = BY_SECTION[section]
    assert kind.grant is not None  # the reference check refuses anything else
    return kind.grant(ctx, target, DESTINATION_ACCESS[section])


def _guardrails(ctx: BuildContext, spec: FunctionSpec, function: awslambda.Function, grants: list[Grant],
                origin: tuple[Any, ...]) -> list[Grant]:
    """Explicit denies that no other policy can override (they name actions, never `*`)."""
    from awacs.aws import Bool

    denies = []
    if spec.deny_destructive:
        denies.append(Grant(sid="DenyDestructiveActions", actions=DESTRUCTIVE_ACTIONS, resources=("*",), deny=True))
    else:
        ctx.opt_out(function, "deny_destructive", origin + ("deny_destructive",))
    data_actions = sorted({a for g in grants if not g.deny
                           for a in g.actions if not a.startswith(SERVICE_SIDE_PREFIXES)})
    if spec.deny_insecure_transport and data_actions:
        denies.append(Grant(sid="DenyInsecureTransport", actions=tuple(data_actions), resources=("*",), deny=True,
                            conditions=(Bool("aws:SecureTransport", "false"),)))
    elif not spec.deny_insecure_transport:
        ctx.opt_out(function, "deny_insecure_transport", origin + ("deny_insecure_transport",))
    return denies


def _tls_only_queue_policy(queue_id: str) -> PolicyDocument:
    return PolicyDocument(Version="2012-10-17", Statement=[deny_insecure_transport(
        [Action("sqs", "SendMessage"), Action("sqs", "ReceiveMessage")], [GetAtt(queue_id, "Arn")])])


def references(name: str, spec: FunctionSpec) -> list[Reference]:
    refs = []
    for section, entries in spec.uses.items():
        for target, access in entries.items():
            refs.append(Reference(("functions", name, "uses", section, target), section, target, access, "uses"))
    for index, layer in enumerate(spec.layers):
        refs.append(Reference(("functions", name, "layers", index), "layers", layer))
    destination = spec.async_invocation.destination
    if destination:
        section, target = destination.split(".")
        refs.append(Reference(("functions", name, "async_invocation", "destination"), section, target,
                              DESTINATION_ACCESS[section], "uses"))
    return refs


def grant(ctx: BuildContext, name: str, access: str) -> list[Grant]:
    resources = [GetAtt(logical_id(name, "Function"), "Arn")]
    if ctx.spec.functions[name].provisioned_concurrency:
        resources.append(Ref(logical_id(name, "Alias")))
    return [Grant(sid=f"Invoke{camel(name)}", actions=("lambda:InvokeFunction",), resources=tuple(resources))]


def names(spec: Any, name: str, entry: FunctionSpec) -> list[NameRule]:
    physical = spec.physical(name)
    return [
        NameRule("function name", physical, 64),
        NameRule("dead-letter queue name", f"{physical}-dlq", 80),
        NameRule("log group name", f"/aws/lambda/{physical}", 512, r"^[A-Za-z0-9_./#-]+$"),
    ]


KIND = Kind(
    section="functions",
    singular="function",
    model=FunctionSpec,
    description="Lambda functions with their own least-privilege role, encrypted log group, DLQ and tracing.",
    build=build,
    references=references,
    access={"invoke": "lambda:InvokeFunction"},
    grant=grant,
    env_value=lambda ctx, name: Ref(logical_id(name, "Function")),
    # From the deterministic name, not a GetAtt: functions that name each other (or themselves) make no cycle.
    attributes={"arn": Attribute("ARN of the function", lambda ctx, name: Sub(
                    f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{ctx.physical(name)}")),
                "name": Attribute("name of the function", lambda ctx, name: ctx.physical(name)),
                "role_arn": getatt_attribute("Role", "Arn", "ARN of the function's execution role"),
                "role_name": ref_attribute("Role", "name of the function's execution role")},
    metrics=Metrics(
        namespace="AWS/Lambda",
        names=("ConcurrentExecutions", "DeadLetterErrors", "DestinationDeliveryFailures", "Duration", "Errors",
               "Invocations", "IteratorAge", "ProvisionedConcurrencySpilloverInvocations", "Throttles"),
        dimensions=lambda ctx, name: [("FunctionName", ctx.physical(name))],
    ),
    names=names,
)
