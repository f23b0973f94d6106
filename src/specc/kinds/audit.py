"""Audit and compliance: CloudTrail with data events, AWS Config, Security Hub, and alarms on security events.

Account-wide services meet a template that is deployed once per region (and per account with
StackSets). Each piece goes where AWS wants exactly one of it:

- the trail is multi-region, so it exists only in the trail's home region (a `Condition` on
  `AWS::Region`), and so do its log group, its delivery role and the security metric filters over it;
- AWS Config and Security Hub are per region: every regional stack gets its recorder, delivery
  channel, rules, hub and standards (global resource types are recorded in the home region only);
- the audit bucket is per region (Config delivers to its own region's bucket; the trail to the home
  region's), and its server access logs go to a second bucket.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from awacs.aws import Action, Allow, Condition, PolicyDocument, Principal, Statement, StringEquals
from awacs.sts import AssumeRole
from pydantic import Field, field_validator
from troposphere import FindInMap, GetAtt, If, Ref, Sub, cloudtrail, config, iam, logs, securityhub

from specc.build import region_conditions
from specc.build.context import BuildContext
from specc.build.iam import Grant, key_grant, use_logs_key
from specc.build.log_buckets import LogBucket, access_log_statement, add_log_bucket, bucket_name_example
from specc.build.metric_filters import add_metric_filter, namespace
from specc.build.naming import camel, logical_id
from specc.kinds.base import Attribute, Kind, NameRule, Reference
from specc.language.types import Name, RetentionDays, SpecModel

TRAIL_REGION = "AuditTrailRegion"  # the Condition: this stack instance is in the trail's home region
BUCKET_ID, ACCESS_LOGS_ID = "AuditBucket", "AuditAccessLogsBucket"
TRAIL_ID, TRAIL_LOGS_ID, TRAIL_ROLE_ID = "AuditTrail", "AuditTrailLogGroup", "AuditTrailLogsRole"
TRAIL_PREFIX, CONFIG_PREFIX = "cloudtrail", "config"

# CIS AWS Foundations Benchmark (3.x section 4 / Security Hub CloudWatch.1-14): the security events worth an alarm.
SECURITY_EVENTS: dict[str, tuple[str, str]] = {
    "unauthorized_api_calls": (
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
        "API calls were refused"),
    "console_signin_without_mfa": (
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
        "a console sign-in without MFA"),
    "root_usage": (
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
        "the root user was used"),
    "iam_policy_changes": (
        "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || "
        "($.eventName = DeleteUserPolicy) || "
        "($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || "
        "($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) || "
        "($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || "
        "($.eventName = DetachRolePolicy) || "
        "($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || "
        "($.eventName = DetachGroupPolicy) }",
        "an IAM policy changed"),
    "cloudtrail_changes": (
        "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || "
        "($.eventName = StartLogging) || ($.eventName = StopLogging) }",
        "a trail's configuration changed"),
    "console_auth_failures": (
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
        "console sign-ins failed"),
    "kms_key_disabled_or_deleted": (
        "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || "
        "($.eventName = ScheduleKeyDeletion)) }",
        "a KMS key was disabled or scheduled for deletion"),
    "s3_bucket_policy_changes": (
        "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || "
        "($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || "
        "($.eventName = PutBucketReplication) || "
        "($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || "
        "($.eventName = DeleteBucketLifecycle) || "
        "($.eventName = DeleteBucketReplication)) }",
        "a bucket policy or ACL changed"),
    "config_changes": (
        "{ ($.eventSource = config.amazonaws.com) && (($.eventName = StopConfigurationRecorder) || "
        "($.eventName = DeleteDeliveryChannel) || ($.eventName = PutDeliveryChannel) || "
        "($.eventName = PutConfigurationRecorder)) }",
        "AWS Config's recorder or delivery channel changed"),
    "security_group_changes": (
        "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || "
        "($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || "
        "($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
        "a security group changed"),
    "nacl_changes": (
        "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || "
        "($.eventName = DeleteNetworkAcl) || "
        "($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || "
        "($.eventName = ReplaceNetworkAclAssociation) }",
        "a network ACL changed"),
    "network_gateway_changes": (
        "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || "
        "($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || "
        "($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }",
        "a network gateway changed"),
    "route_table_changes": (
        "{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || "
        "($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || "
        "($.eventName = DeleteRoute) || "
        "($.eventName = DisassociateRouteTable) }",
        "a route table changed"),
    "vpc_changes": (
        "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || "
        "($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || "
        "($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) }",
        "a VPC or peering connection changed"),
}
SecurityEvent = Literal[tuple(SECURITY_EVENTS)]  # type: ignore[valid-type]

# Security Hub standards by the name a spec uses; ARNs carry ${AWS::Region} so one template fits every region.
STANDARDS: dict[str, str] = {
    "aws-foundational": "standards/aws-foundational-security-best-practices/v/1.0.0",
    "cis": "standards/cis-aws-foundations-benchmark/v/3.0.0",
    "cis-1.4.0": "standards/cis-aws-foundations-benchmark/v/1.4.0",
    "nist-800-53": "standards/nist-800-53/v/5.0.0",
    "pci-dss": "standards/pci-dss/v/3.2.1",
    "pci-dss-4.0.1": "standards/pci-dss/v/4.0.1",
}
Standard = Literal[tuple(STANDARDS)]  # type: ignore[valid-type]


class DataEvents(SpecModel):
    """Which of the spec's own resources have their data events (object reads and writes, item reads and
    writes, invocations) recorded by the trail: a list of names, `[]` for none."""

    tables: list[Name] | None = Field(None, description="Tables (item-level API calls); default: every table "
                                      "of the spec.", examples=[["transactions"]])
    buckets: list[Name] | None = Field(None, description="Buckets (object-level API calls); default: every "
                                       "bucket of the spec.", examples=[["uploads"]])
    functions: list[Name] = Field(default_factory=list, description="Functions whose invocations are recorded; "
                                  "default: none.", examples=[["create_payment"]])


class TrailSpec(SpecModel):
    """One multi-region CloudTrail trail: management events from every region, log file validation, encrypted
    with a customer-managed key, delivered to the audit bucket and to an encrypted CloudWatch log group."""

    region: str | None = Field(None, pattern=r"^(us|eu|ap|sa|ca|me|af|il|mx)-(gov-)?[a-z]+-[0-9]$",
                               description="The trail's home region (one of `regions`): the only stack instance "
                                           "that creates it. Default: us-east-1 if listed, else the first region.",
                               examples=["us-east-1"])
    encryption: Name | None = Field(None, description="The key (from `keys`) for trail logs and the audit bucket; "
                                    "default: `defaults.key`.", examples=["audit"])
    data_events: DataEvents = Field(default_factory=DataEvents, description="Data events of the spec's resources.")
    log_retention_days: RetentionDays | None = Field(None, description="Retention of the trail's CloudWatch log "
                                                     "group; default: `defaults.log_retention_days`.", examples=[365])
    bucket_retention_days: int = Field(2557, ge=90, le=36500, description="Days audit logs are kept in the audit "
                                       "bucket (default: 7 years).", examples=[2557])


class ConfigSpec(SpecModel):
    """AWS Config in every region: a recorder of all supported resource types, a delivery channel to the audit
    bucket, and AWS managed rules."""

    recorder: bool = Field(True, description="Create the recorder and delivery channel. AWS allows one of each per "
                           "account and region: set false when the account already has them (only the rules are "
                           "added then).", examples=[False])
    rules: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="AWS managed rules by identifier, each with its input parameters ({} for none).",
        examples=[{"S3_BUCKET_SSL_REQUESTS_ONLY": {}, "ACCESS_KEYS_ROTATED": {"maxAccessKeyAge": "90"}}])
    delivery_frequency: Literal["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"] = Field(
        "TwentyFour_Hours", description="How often configuration snapshots are delivered.", examples=["Six_Hours"])

    @field_validator("rules")
    @classmethod
    def _identifiers(cls, rules: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for rule in rules:
            if not re.fullmatch(r"[A-Z0-9_]{3,128}", rule):
                raise ValueError(f"'{rule}' is not an AWS managed rule identifier (upper case, like "
                                 "S3_BUCKET_SSL_REQUESTS_ONLY)")
        return rules


class SecurityHubSpec(SpecModel):
    """Security Hub in every region, with the standards it checks the account against."""

    enable_hub: bool = Field(True, description="Enable Security Hub itself. AWS allows one hub per account and "
                             "region: set false when it is already enabled (only the standards are added then).",
                             examples=[False])
    standards: list[Standard] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["aws-foundational"], min_length=1,
        description="Standards to enable: " + ", ".join(STANDARDS) + ".", examples=[["aws-foundational", "cis"]])


class AuditSpec(SpecModel):
    """Audit and compliance for the account the service runs in."""

    trail: TrailSpec = Field(default_factory=TrailSpec, description="The CloudTrail trail.")
    config: ConfigSpec | None = Field(None, description="AWS Config recorder, delivery channel and managed rules.")
    security_hub: SecurityHubSpec | None = Field(None, description="Security Hub and its standards.")
    security_alarms: list[SecurityEvent] | None = Field(  # type: ignore[valid-type]
        None, description="Alarms on security events in the trail (the CIS benchmark's metric filters), from: "
                          + ", ".join(SECURITY_EVENTS) + ". Default: all of them; `[]` for none.",
        examples=[["root_usage", "unauthorized_api_calls"]])
    notify: Name | None = Field(None, description="Topic (from `topics`) the security alarms notify; default: "
                                "`monitoring.notify`.", examples=["security"])


def trail_region(spec: Any) -> str:
    audit: AuditSpec = spec.audit
    if audit.trail.region:
        return audit.trail.region
    return "us-east-1" if "us-east-1" in spec.regions else spec.regions[0]


def security_events(audit: AuditSpec) -> list[str]:
    return list(SECURITY_EVENTS) if audit.security_alarms is None else sorted(set(audit.security_alarms))


def selected(spec: Any, section: str, selection: list[str] | None) -> list[str]:
    """The named entries, or every entry of the section when none are named."""
    if selection is None:  # every entry the service creates (existing ones are audited by their owner's trail)
        return sorted(name for name, entry in getattr(spec, section, {}).items()
                      if getattr(entry, "existing", None) is None)
    return sorted(set(selection))


def build(ctx: BuildContext, name: str, spec: AuditSpec | None) -> None:
    if spec is None:
        return
    region_conditions.add(ctx.template, TRAIL_REGION, [trail_region(ctx.spec)])
    key = ctx.key_for(spec.trail.encryption)
    _buckets(ctx, spec, key)
    _trail(ctx, spec, key)
    if spec.config is not None:
        _config(ctx, spec.config, key)
    if spec.security_hub is not None:
        _security_hub(ctx, spec.security_hub)
    _security_alarms(ctx, spec)


TRAIL_HOME = "AuditTrailHome"  # the Mapping that names the trail's home region (a value, not the Condition's test)


def _home_trail_arn(ctx: BuildContext) -> Sub:
    """The trail's ARN in every region's copy of the template. Its home region comes from a Mapping, as other
    per-region values do, so the template's values name no region (StackSet instances share one template)."""
    if TRAIL_HOME not in ctx.template.mappings:
        ctx.template.add_mapping(TRAIL_HOME, {"Trail": {"Region": trail_region(ctx.spec)}})
    return Sub(f"arn:${{AWS::Partition}}:cloudtrail:${{Home}}:${{AWS::AccountId}}:trail/{ctx.physical('trail')}",
               Home=FindInMap(TRAIL_HOME, "Trail", "Region"))


def trail_arn(ctx: BuildContext) -> Sub:
    """Built from the trail's name, not a Ref: the key and bucket policies that name it must not depend on it."""
    return Sub(f"arn:${{AWS::Partition}}:cloudtrail:${{AWS::Region}}:${{AWS::AccountId}}:trail/{ctx.physical('trail')}")


def _buckets(ctx: BuildContext, spec: AuditSpec, key: str) -> None:
    origin = ("audit",)
    source_arn = StringEquals("aws:SourceArn", trail_arn(ctx))
    cloudtrail_principal = Principal("Service", "cloudtrail.amazonaws.com")
    add_log_bucket(ctx, LogBucket(
        bucket_id=BUCKET_ID, what="audit", key=key, origin=origin,
        expire_days=spec.trail.bucket_retention_days, access_logs_to=ACCESS_LOGS_ID,
        statements=[
            Statement(Sid="CloudTrailAclCheck", Effect=Allow, Principal=cloudtrail_principal,
                      Action=[Action("s3", "GetBucketAcl")], Resource=[GetAtt(BUCKET_ID, "Arn")],
                      Condition=Condition(source_arn)),
            Statement(Sid="CloudTrailWrite", Effect=Allow, Principal=cloudtrail_principal,
                      Action=[Action("s3", "PutObject")],
                      Resource=[Sub(f"${{{BUCKET_ID}.Arn}}/{TRAIL_PREFIX}/AWSLogs/${{AWS::AccountId}}/*")],
                      Condition=Condition([StringEquals("s3:x-amz-acl", "bucket-owner-full-control"), source_arn])),
        ]))
    add_log_bucket(ctx, LogBucket(
        bucket_id=ACCESS_LOGS_ID, what="audit-access", key=key, origin=origin,
        expire_days=spec.trail.bucket_retention_days, access_log_target=True,
        statements=[access_log_statement(ACCESS_LOGS_ID, [BUCKET_ID])]))
    # CloudTrail encrypts log files with the key itself; only this trail may use it, and only to encrypt.
    ctx.use_key(key, ("kms:DescribeKey", "kms:GenerateDataKey"), service="cloudtrail.amazonaws.com",
                conditions=[source_arn])


def _trail(ctx: BuildContext, spec: AuditSpec, key: str) -> None:
    origin = ("audit", "trail")
    logs_key = ctx.logs_key()
    log_group = logs.LogGroup(
        TRAIL_LOGS_ID,
        LogGroupName=f"/aws/cloudtrail/{ctx.physical('trail')}",
        RetentionInDays=spec.trail.log_retention_days or ctx.spec.defaults.log_retention_days,
        KmsKeyId=GetAtt(logical_id(logs_key, "Key"), "Arn"),
        Condition=TRAIL_REGION,
    )
    ctx.add(log_group, origin)
    use_logs_key(ctx, logs_key, f"/aws/cloudtrail/{ctx.physical('trail')}")
    # An inline policy: the role exists only in the home region, and no key policy names it (no cycle to avoid).
    ctx.add(iam.Role(
        TRAIL_ROLE_ID,
        Condition=TRAIL_REGION,
        Description=f"Lets the {ctx.physical('trail')} trail write to its log group",
        AssumeRolePolicyDocument=PolicyDocument(Version="2012-10-17", Statement=[Statement(
            Effect=Allow, Principal=Principal("Service", "cloudtrail.amazonaws.com"), Action=[AssumeRole],
            Condition=Condition(StringEquals("aws:SourceAccount", Ref("AWS::AccountId"))))]),
        Policies=[iam.Policy(PolicyName="WriteTrailLogs", PolicyDocument=PolicyDocument(
            Version="2012-10-17", Statement=[Statement(
                Sid="WriteTrailLogs", Effect=Allow,
                Action=[Action("logs", "CreateLogStream"), Action("logs", "PutLogEvents")],
                Resource=[GetAtt(TRAIL_LOGS_ID, "Arn")])]))],
    ), origin)
    ctx.add(cloudtrail.Trail(
        TRAIL_ID,
        Condition=TRAIL_REGION,
        DependsOn=[f"{BUCKET_ID}Policy"],
        TrailName=ctx.physical("trail"),
        IsLogging=True,
        IsMultiRegionTrail=True,
        IncludeGlobalServiceEvents=True,
        EnableLogFileValidation=True,
        KMSKeyId=GetAtt(logical_id(key, "Key"), "Arn"),
        S3BucketName=Ref(BUCKET_ID),
        S3KeyPrefix=TRAIL_PREFIX,
        CloudWatchLogsLogGroupArn=GetAtt(TRAIL_LOGS_ID, "Arn"),
        CloudWatchLogsRoleArn=GetAtt(TRAIL_ROLE_ID, "Arn"),
        AdvancedEventSelectors=_selectors(ctx, spec.trail.data_events),
    ), origin)


def _selectors(ctx: BuildContext, events: DataEvents) -> list[cloudtrail.AdvancedEventSelector]:
    """Management events, plus data events of exactly the spec's resources (advanced selectors: DynamoDB needs them).

    Table and function ARNs contain the region; matching their end (`:table/<name>`) covers the copies in
    every region of the multi-region trail. Object ARNs have no region, so buckets are matched by name prefix.
    """
    def data(name: str, resource_type: str, **arn: list[Any]) -> cloudtrail.AdvancedEventSelector:
        return cloudtrail.AdvancedEventSelector(Name=name, FieldSelectors=[
            cloudtrail.AdvancedFieldSelector(Field="eventCategory", Equals=["Data"]),
            cloudtrail.AdvancedFieldSelector(Field="resources.type", Equals=[resource_type]),
            cloudtrail.AdvancedFieldSelector(Field="resources.ARN", **arn),
        ])

    spec = ctx.spec
    selectors = [cloudtrail.AdvancedEventSelector(Name="Management events", FieldSelectors=[
        cloudtrail.AdvancedFieldSelector(Field="eventCategory", Equals=["Management"])])]
    tables = selected(spec, "tables", events.tables)
    if tables:
        selectors.append(data("Table data events", "AWS::DynamoDB::Table",
                              EndsWith=[f":table/{ctx.physical(t)}" for t in tables]))
    buckets = selected(spec, "buckets", events.buckets)
    if buckets:
        selectors.append(data("Object data events", "AWS::S3::Object",
                              StartsWith=[object_arn_prefix(ctx, b) for b in buckets]))
    functions = selected(spec, "functions", events.functions)
    if functions:
        selectors.append(data("Function invocations", "AWS::Lambda::Function",
                              EndsWith=[f":function:{ctx.physical(f)}" for f in functions]))
    return selectors


def object_arn_prefix(ctx: BuildContext, bucket: str) -> Sub:
    """`arn:<partition>:s3:::<service>-<bucket>-<environment>-<account>-`: the bucket's copy in every region (its
    name ends with the region), without naming a region in the template."""
    return Sub(f"arn:${{AWS::Partition}}:s3:::{ctx.physical(bucket)}-${{AWS::AccountId}}-")


def _config(ctx: BuildContext, spec: ConfigSpec, key: str) -> None:
    origin = ("audit", "config")
    recorder_id = "ConfigRecorder"
    if spec.recorder:
        role_id = "ConfigRole"
        ctx.add(iam.Role(
            role_id,
            Description=f"Lets AWS Config record {ctx.spec.service} ({ctx.spec.environment}) resources and deliver "
                        "them",
            AssumeRolePolicyDocument=PolicyDocument(Version="2012-10-17", Statement=[Statement(
                Effect=Allow, Principal=Principal("Service", "config.amazonaws.com"), Action=[AssumeRole],
                Condition=Condition(StringEquals("aws:SourceAccount", Ref("AWS::AccountId"))))]),
            ManagedPolicyArns=[Sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWS_ConfigRole")],
        ), origin)
        ctx.grant(role_id, "ConfigDeliveryPolicy", [
            Grant(sid="DeliverToAuditBucket", actions=("s3:PutObject",),
                  resources=(Sub(f"${{{BUCKET_ID}.Arn}}/{CONFIG_PREFIX}/AWSLogs/${{AWS::AccountId}}/*"),)),
            Grant(sid="CheckAuditBucketAcl", actions=("s3:GetBucketAcl",), resources=(GetAtt(BUCKET_ID, "Arn"),)),
            key_grant(key, ("kms:Decrypt", "kms:GenerateDataKey")),
        ])
        ctx.add(config.ConfigurationRecorder(
            recorder_id,
            Name=ctx.physical("config"),
            RoleARN=GetAtt(role_id, "Arn"),
            RecordingGroup=config.RecordingGroup(
                AllSupported=True,
                # Global resources (IAM) are the same in every region: record them once, in the trail's region.
                IncludeGlobalResourceTypes=If(TRAIL_REGION, True, False)),
        ), origin)
        ctx.add(config.DeliveryChannel(
            "ConfigDeliveryChannel",
            DependsOn=[recorder_id, "ConfigDeliveryPolicy", f"{BUCKET_ID}Policy"],
            Name=ctx.physical("config"),
            S3BucketName=Ref(BUCKET_ID),
            S3KeyPrefix=CONFIG_PREFIX,
            S3KmsKeyArn=GetAtt(logical_id(key, "Key"), "Arn"),
            ConfigSnapshotDeliveryProperties=config.ConfigSnapshotDeliveryProperties(
                DeliveryFrequency=spec.delivery_frequency),
        ), origin)
    for rule, parameters in sorted(spec.rules.items()):
        resource = config.ConfigRule(
            f"ConfigRule{camel(rule.lower())}",
            ConfigRuleName=ctx.physical(rule.lower()),
            Description=f"AWS managed rule {rule}",
            Source=config.Source(Owner="AWS", SourceIdentifier=rule),
        )
        if parameters:
            resource.InputParameters = dict(sorted(parameters.items()))
        if spec.recorder:
            resource.DependsOn = [recorder_id]
        ctx.add(resource, origin + ("rules", rule))


def _security_hub(ctx: BuildContext, spec: SecurityHubSpec) -> None:
    origin = ("audit", "security_hub")
    if spec.enable_hub:
        ctx.add(securityhub.Hub("SecurityHub", EnableDefaultStandards=False, AutoEnableControls=True,
                                ControlFindingGenerator="SECURITY_CONTROL"), origin)
    for standard in sorted(set(spec.standards)):
        resource = securityhub.Standard(
            f"SecurityHubStandard{camel(standard)}",
            StandardsArn=Sub(f"arn:${{AWS::Partition}}:securityhub:${{AWS::Region}}::{STANDARDS[standard]}"),
        )
        if spec.enable_hub:
            resource.DependsOn = ["SecurityHub"]
        ctx.add(resource, origin + ("standards",))


def _security_alarms(ctx: BuildContext, spec: AuditSpec) -> None:
    from specc.kinds.alarms import _alarm

    topic = spec.notify or ctx.spec.monitoring.notify
    for event in security_events(spec):
        pattern, description = SECURITY_EVENTS[event]
        metric = camel(event)
        origin = ("audit", "security_alarms")
        add_metric_filter(ctx, f"Security{metric}MetricFilter", Ref(TRAIL_LOGS_ID), pattern, metric, origin,
                          condition=TRAIL_REGION)
        alarm_id = f"Security{metric}Alarm"
        _alarm(ctx, alarm_id, ctx.physical(f"security-{event}"), f"security: {description} ({event})",
               namespace(ctx.spec), metric, [], "Sum", ">=", 1, 300, 1, "notBreaching", topic, origin)
        ctx.template.resources[alarm_id].Condition = TRAIL_REGION


def references(name: str, spec: AuditSpec | None) -> list[Reference]:
    if spec is None:
        return []
    refs = []
    if spec.trail.encryption:
        refs.append(Reference(("audit", "trail", "encryption"), "keys", spec.trail.encryption))
    for section in ("tables", "buckets", "functions"):
        selection = getattr(spec.trail.data_events, section)
        if selection:
            refs += [Reference(("audit", "trail", "data_events", section, index), section, target, relation="audits")
                     for index, target in enumerate(selection)]
    if spec.notify:
        refs.append(Reference(("audit", "notify"), "topics", spec.notify, relation="notifies"))
    return refs


def names(spec: Any, name: str, entry: AuditSpec | None) -> list[NameRule]:
    if entry is None:
        return []
    rules = [
        NameRule("bucket name", bucket_name_example(spec, "audit-access"), 63, r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"),
        NameRule("trail name", spec.physical("trail"), 128),
    ]
    if entry.config is not None:
        rules += [NameRule("config rule name", spec.physical(rule.lower()), 128) for rule in entry.config.rules]
    return rules


KIND = Kind(
    section="audit",
    singular="audit",
    model=AuditSpec,
    description="Audit and compliance: a multi-region CloudTrail trail with data events, AWS Config, Security Hub "
                "and alarms on security events.",
    build=build,
    keyed=False,
    references=references,
    names=names,
    attributes={  # by name and home region: the trail exists in its home region only, its ARN is known everywhere
        "trail.arn": Attribute("ARN of the trail", lambda ctx, _: _home_trail_arn(ctx)),
        "trail.name": Attribute("name of the trail", lambda ctx, _: ctx.physical("trail"))},
)
