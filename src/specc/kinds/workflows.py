"""Step Functions state machines declared in the spec, whose states call the spec's functions and topics.

Secure by default: a STANDARD state machine encrypted with a customer-managed key, logging every event (but
not execution data) to its own encrypted log group, X-Ray tracing on, and a role that may invoke exactly the
functions its states name (and their versions), publish to exactly its topics, use its key only for this state
machine, and deliver its logs. Functions that `use` a workflow may start executions of it.

The state machine's ARN is built from its deterministic name (`arn:...:stateMachine:<service>-<name>-<env>`)
wherever a function refers to it, so a function may both be called by a workflow and start it without a
dependency cycle in the template.
"""

from __future__ import annotations

from typing import Any, Literal

from awacs.aws import Allow, ArnLike, PolicyDocument, Principal, Statement, StringEquals
from awacs.sts import AssumeRole
from pydantic import Field, model_validator
from troposphere import AccountId, GetAtt, Ref, Sub, iam, logs, stepfunctions

from specc.build.asl import definition_text
from specc.build.context import BuildContext
from specc.build.iam import Grant, use_logs_key
from specc.build.naming import camel, logical_id
from specc.kinds.base import Kind, Metrics, NameRule, Reference
from specc.language.types import Name, RetentionDays, SpecModel
from specc.language.workflow_states import StateName, StateSpec

# The CloudWatch Logs actions Step Functions needs to set up log delivery to a log group. They take no
# resource ARN (AWS's documented policy grants them on "*"); iam.WILDCARD_RESOURCE_REASONS lists them.
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
)
TRACE_ACTIONS = ("xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords",
                 "xray:PutTraceSegments")
STATE_MACHINE_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
LOG_DELIVERY_SERVICE = "delivery.logs.amazonaws.com"
DATA_KEY_REUSE_SECONDS = 300


class WorkflowLogging(SpecModel):
    """Execution history sent to the workflow's own log group (encrypted with the logs key)."""

    level: Literal["all", "error", "fatal", "off"] = Field(
        "all", description="Which events are logged; `off` is recorded as an opt-out in the template.",
        examples=["error"])
    include_execution_data: bool = Field(
        False, description="Log each state's input and output too (they may hold personal data); turning it on is "
                           "recorded in the template.", examples=[False])
    retention_days: RetentionDays | None = Field(None, description="Default: `defaults.log_retention_days`.",
                                                 examples=[90])


class WorkflowSpec(SpecModel):
    """A Step Functions state machine: its states, from `start`, by name."""

    description: str = Field("", max_length=1024, description="The definition's comment.",
                             examples=["Validates, charges and confirms an order"])
    start: StateName = Field(description="The first state.", examples=["validate"])
    states: dict[StateName, StateSpec] = Field(min_length=1, description="The states by name.")
    type: Literal["standard", "express"] = Field(
        "standard", description="`standard` (exactly-once, up to a year, full history) or `express` (at-least-once, "
                                "up to 5 minutes).", examples=["standard"])
    timeout_seconds: int | None = Field(None, ge=1, le=31_536_000, description="Fail an execution that runs longer "
                                        "(States.Timeout, counted as ExecutionsTimedOut).", examples=[3600])
    encryption: Name | None = Field(None, description="The key (from `keys`) that encrypts the definition and "
                                    "execution history; default: `defaults.key`.", examples=["data"])
    tracing: bool = Field(True, description="X-Ray tracing of executions. Turning it off is recorded in the "
                          "template.", examples=[True])
    logging: WorkflowLogging = Field(default_factory=WorkflowLogging, description="Execution logging.")

    @model_validator(mode="after")
    def _express_limits(self) -> WorkflowSpec:
        if self.type == "express" and self.timeout_seconds is not None and self.timeout_seconds > 300:
            raise ValueError("an express workflow runs for at most 300 seconds")
        return self


def state_machine_arn(ctx: BuildContext, name: str) -> Sub:
    """The ARN from the deterministic name: no reference to the resource, so no dependency on it."""
    return Sub(f"arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:stateMachine:{ctx.physical(name)}")


def walk(states: dict[str, StateSpec], path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str, StateSpec]]:
    """Every state, nested branches included, with its path below the workflow (`("states", name, ...)`)."""
    found = []
    for name, state in states.items():
        here = path + ("states", name)
        found.append((here, name, state))
        for branch_path, branch in state.branches():
            found += walk(branch.states, here + branch_path)
    return found


def _resolve(ctx: BuildContext) -> Any:
    from specc.kinds.functions import invoke_arn

    def resolve(section: str, name: str) -> str:
        if section == "topics":
            return "${" + logical_id(name, "Topic") + "}"
        target = invoke_arn(ctx, name)  # the `live` alias when the function has provisioned concurrency
        if isinstance(target, Ref):
            return "${" + str(target.data["Ref"]) + "}"
        return "${" + logical_id(name, "Function") + ".Arn}"
    return resolve


def build(ctx: BuildContext, name: str, spec: WorkflowSpec) -> None:
    origin = ("workflows", name)
    machine_id, role_id, policy_id = (logical_id(name, s) for s in ("StateMachine", "WorkflowRole", "WorkflowPolicy"))
    physical = ctx.physical(name)
    key = ctx.key_for(spec.encryption)
    arn = state_machine_arn(ctx, name)

    ctx.add(iam.Role(
        role_id,
        Description=f"Execution role of the {physical} state machine",
        AssumeRolePolicyDocument=PolicyDocument(Version="2012-10-17", Statement=[Statement(
            Effect=Allow, Principal=Principal("Service", "states.amazonaws.com"), Action=[AssumeRole],
            Condition=_confused_deputy(arn))]),
    ), origin)

    grants = _call_grants(ctx, spec)
    grants.append(Grant(sid="StateMachineKey", actions=STATE_MACHINE_KEY_ACTIONS,
                        resources=(GetAtt(logical_id(key, "Key"), "Arn"),), key=key,
                        conditions=(StringEquals("kms:EncryptionContext:aws:states:stateMachineArn", arn),)))

    text, substitute = definition_text(spec, _resolve(ctx))
    machine = stepfunctions.StateMachine(
        machine_id,
        StateMachineName=physical,
        StateMachineType=spec.type.upper(),
        RoleArn=GetAtt(role_id, "Arn"),
        DefinitionString=Sub(text) if substitute else text,
        EncryptionConfiguration=stepfunctions.EncryptionConfiguration(
            Type="CUSTOMER_MANAGED_KMS_KEY", KmsKeyId=GetAtt(logical_id(key, "Key"), "Arn"),
            KmsDataKeyReusePeriodSeconds=DATA_KEY_REUSE_SECONDS),
        TracingConfiguration=stepfunctions.TracingConfiguration(Enabled=spec.tracing),
        DependsOn=[policy_id],
    )
    if spec.tracing:
        grants.append(Grant(sid="WriteTraces", actions=TRACE_ACTIONS, resources=("*",)))
    else:
        ctx.opt_out(machine, "tracing", origin + ("tracing",))

    if spec.logging.level == "off":
        ctx.opt_out(machine, "logging", origin + ("logging", "level"))
    else:
        grants += _logging(ctx, name, spec, machine, key)
    ctx.add(machine, origin)
    ctx.grant(role_id, policy_id, grants)
    if spec.logging.level != "off":
        from specc.build.scanners import skip_later

        skip_later(ctx, policy_id, "WildcardResourceRule", "Step Functions log delivery (logs:CreateLogDelivery and "
                   "the other vended-log actions) takes no resource ARN: AWS documents Resource \"*\" for them; "
                   "every other action of this policy names its resources", tool="cfripper")
    ctx.output(logical_id(name, "StateMachineArn"), Ref(machine_id), f"ARN of the {name} workflow")


def _confused_deputy(arn: Sub) -> Any:
    """Step Functions may assume the role only for this account's state machine of this name."""
    from awacs.aws import Condition

    return Condition([StringEquals("aws:SourceAccount", AccountId), ArnLike("aws:SourceArn", arn)])


def _call_grants(ctx: BuildContext, spec: WorkflowSpec) -> list[Grant]:
    """Invoke exactly the functions the states name (and their versions and aliases); publish to their topics."""
    from specc.kinds import BY_SECTION

    functions = sorted({s.task for _, _, s in walk(spec.states) if s.task is not None})
    topics = sorted({s.publish for _, _, s in walk(spec.states) if s.publish is not None})
    grants = [Grant(sid=f"Invoke{camel(function)}", actions=("lambda:InvokeFunction",),
                    resources=(GetAtt(logical_id(function, "Function"), "Arn"),
                               Sub("${" + logical_id(function, "Function") + ".Arn}:*")))
              for function in functions]
    topic_kind = BY_SECTION["topics"]
    assert topic_kind.grant is not None
    for topic in topics:
        grants += topic_kind.grant(ctx, topic, "publish")
    return grants


def _logging(ctx: BuildContext, name: str, spec: WorkflowSpec, machine: stepfunctions.StateMachine,
             key: str) -> list[Grant]:
    """The workflow's own encrypted log group, and what Step Functions needs to deliver its logs there."""
    log_id = logical_id(name, "WorkflowLogGroup")
    logs_key = ctx.logs_key()
    ctx.add(logs.LogGroup(
        log_id,
        LogGroupName=log_group_name(ctx.spec, name),
        RetentionInDays=spec.logging.retention_days or ctx.spec.defaults.log_retention_days,
        KmsKeyId=GetAtt(logical_id(logs_key, "Key"), "Arn"),
    ), ("workflows", name))
    use_logs_key(ctx, logs_key)
    machine.LoggingConfiguration = stepfunctions.LoggingConfiguration(
        Level=spec.logging.level.upper(),
        IncludeExecutionData=spec.logging.include_execution_data,
        Destinations=[stepfunctions.LogDestination(
            CloudWatchLogsLogGroup=stepfunctions.CloudWatchLogsLogGroup(LogGroupArn=GetAtt(log_id, "Arn")))],
    )
    if spec.logging.include_execution_data:
        ctx.opt_out(machine, "logging.exclude_execution_data", ("workflows", name, "logging", "include_execution_data"),
                    "states' input and output are written to the log group")
    # Log delivery decrypts with the state machine's key (AWS's documented key policy for encrypted workflows).
    ctx.use_key(key, ("kms:Decrypt",), service=LOG_DELIVERY_SERVICE)
    return [
        Grant(sid="DeliverLogs", actions=LOG_DELIVERY_ACTIONS, resources=("*",)),
        Grant(sid="StateMachineKeyForLogs", actions=("kms:GenerateDataKey",),
              resources=(GetAtt(logical_id(key, "Key"), "Arn"),), key=key,
              conditions=(StringEquals("kms:EncryptionContext:SourceArn",
                                       Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*")),)),
    ]


def log_group_name(spec: Any, name: str) -> str:
    """Under /aws/vendedlogs/, as AWS advises for Step Functions (it keeps the logs resource policy small)."""
    return f"/aws/vendedlogs/states/{spec.physical(name)}"


def grant(ctx: BuildContext, name: str, access: str) -> list[Grant]:
    """`start`: start executions of this state machine, with its key only for this state machine's data."""
    spec: WorkflowSpec = ctx.spec.workflows[name]
    key = ctx.key_for(spec.encryption)
    arn = state_machine_arn(ctx, name)
    return [
        Grant(sid=logical_id(name, "WorkflowStart"), actions=("states:StartExecution",), resources=(arn,)),
        Grant(sid=logical_id(name, "WorkflowKey"), actions=STATE_MACHINE_KEY_ACTIONS,
              resources=(GetAtt(logical_id(key, "Key"), "Arn"),), key=key,
              conditions=(StringEquals("kms:EncryptionContext:aws:states:stateMachineArn", arn),)),
    ]


def references(name: str, spec: WorkflowSpec) -> list[Reference]:
    refs = []
    if spec.encryption:
        refs.append(Reference(("workflows", name, "encryption"), "keys", spec.encryption))
    for path, _, state in walk(spec.states):
        if state.task is not None:
            refs.append(Reference(("workflows", name) + path + ("task",), "functions", state.task,
                                  relation="invokes"))
        if state.publish is not None:
            refs.append(Reference(("workflows", name) + path + ("publish",), "topics", state.publish,
                                  relation="publishes"))
    return refs


def names(spec: Any, name: str, entry: WorkflowSpec) -> list[NameRule]:
    return [
        NameRule("state machine name", spec.physical(name), 80),
        NameRule("log group name", log_group_name(spec, name), 512, r"^[A-Za-z0-9_./#-]+$"),
    ]


KIND = Kind(
    section="workflows",
    singular="workflow",
    model=WorkflowSpec,
    description="Step Functions state machines whose states invoke the spec's functions and publish to its topics "
                "(customer-managed key, logging, tracing, a least-privilege role).",
    build=build,
    references=references,
    access={"start": "states:StartExecution (and the workflow's key for this state machine only)"},
    grant=grant,
    env_value=state_machine_arn,
    metrics=Metrics(
        namespace="AWS/States",
        names=("ExecutionThrottled", "ExecutionTime", "ExecutionsAborted", "ExecutionsFailed", "ExecutionsStarted",
               "ExecutionsSucceeded", "ExecutionsTimedOut"),
        dimensions=lambda ctx, name: [("StateMachineArn", Ref(logical_id(name, "StateMachine")))],
    ),
    names=names,
)
