"""WAFv2 web ACLs: AWS managed rule groups by short name, per-IP rate limiting, geo and IP rules, logging.

A REGIONAL web ACL is associated with the API stage (`attach: api`). A CLOUDFRONT one exists only where
CloudFront's web ACLs live, us-east-1: like the cdn kind's resources it carries the `CdnRegion` mark and goes
into the global template (output/global_stack.py), with its IP sets, its log group, a logs key of its own (the
service's keys live in its home regions) and its log resource policy; a distribution refers to it by name.
Rules are evaluated in a fixed order whatever the spec's order: blocked addresses, the address allow list,
geography, the rate limit, then the managed rule groups (cheapest and most decisive first), so reordering
the spec changes nothing.

Logs go to a CloudWatch log group (WAF requires its name to start with `aws-waf-logs-`) encrypted with the
logs key, with the Authorization and Cookie headers redacted by default; one log resource policy per
service lets the log delivery service write them (instead of WAF adding an account-wide one).
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any, Literal, cast

from awacs.aws import Action, Allow, ArnLike, Condition, PolicyDocument, Principal, Statement, StringEquals
from pydantic import Field, field_validator, model_validator
from troposphere import GetAtt, Ref, Sub, encode_to_dict, kms, logs, wafv2

from specc.build import region_conditions
from specc.build.context import BuildContext
from specc.build.global_region import GLOBAL_MARK, GLOBAL_REGION
from specc.build.iam import LOGS_KEY_ACTIONS, LOGS_SERVICE, logs_condition, use_logs_key
from specc.build.naming import camel, logical_id
from specc.build.scanners import skip
from specc.kinds.base import Attribute, Kind, Metrics, NameRule
from specc.language.types import RetentionDays, SpecModel

CDN_REGION = GLOBAL_MARK  # the cdn kind's mark: what goes into the global (us-east-1) template
CLOUDFRONT_REGION = GLOBAL_REGION
LOG_POLICY_ID = "WafLogsResourcePolicy"
GLOBAL_LOG_POLICY_ID = "WafGlobalLogsResourcePolicy"
GLOBAL_LOGS_KEY_ID = "WafGlobalLogsKey"
# Short name -> (AWS managed rule group, its web ACL capacity units), in evaluation order.
MANAGED_RULE_GROUPS: dict[str, tuple[str, int]] = {
    "ip_reputation": ("AWSManagedRulesAmazonIpReputationList", 25),
    "anonymous_ip": ("AWSManagedRulesAnonymousIpList", 50),
    "known_bad_inputs": ("AWSManagedRulesKnownBadInputsRuleSet", 200),
    "common": ("AWSManagedRulesCommonRuleSet", 700),
    "sql_injection": ("AWSManagedRulesSQLiRuleSet", 200),
    "linux": ("AWSManagedRulesLinuxRuleSet", 200),
    "unix": ("AWSManagedRulesUnixRuleSet", 100),
    "windows": ("AWSManagedRulesWindowsRuleSet", 200),
    "php": ("AWSManagedRulesPHPRuleSet", 100),
    "wordpress": ("AWSManagedRulesWordPressRuleSet", 100),
    "admin_protection": ("AWSManagedRulesAdminProtectionRuleSet", 100),
}
ManagedRuleGroup = Literal[tuple(MANAGED_RULE_GROUPS)]  # type: ignore[valid-type]
MAX_CAPACITY = 5000  # WCUs AWS allows in one web ACL (above 1,500 each further 500 is billed)
FIRST_MANAGED_PRIORITY = 10


class RateLimit(SpecModel):
    """Block a client address that sends more requests than `limit` within the window."""

    limit: int = Field(ge=10, le=2_000_000_000, description="Requests per address per window.", examples=[1000])
    window_seconds: Literal[60, 120, 300, 600] = Field(300, description="The sliding window the requests are "
                                                        "counted over.", examples=[300])


class Geo(SpecModel):
    """Countries (ISO 3166-1 alpha-2 codes) refused, or the only ones served."""

    block: list[str] | None = Field(None, min_length=1, description="Requests from these countries are blocked.",
                                    examples=[["KP", "IR"]])
    allow: list[str] | None = Field(None, min_length=1, description="Only requests from these countries pass.",
                                    examples=[["US", "CA", "GB"]])

    @model_validator(mode="after")
    def _one(self) -> Geo:
        import re

        if (self.block is None) == (self.allow is None):
            raise ValueError("geo has exactly one of `block` or `allow`")
        for code in self.block or self.allow or []:
            if not re.fullmatch(r"[A-Z]{2}", code):
                raise ValueError(f"'{code}' is not a two-letter country code like US or DE")
        return self


class IpSets(SpecModel):
    """Client addresses (IPv4 or IPv6 CIDRs) blocked, or the only ones admitted."""

    block: list[str] = Field(default_factory=list, description="Addresses always blocked.",
                             examples=[["203.0.113.0/24"]])
    allow: list[str] = Field(default_factory=list, description="When given, only these addresses pass; every other "
                             "address is blocked.", examples=[["192.0.2.0/24", "2001:db8::/32"]])

    @field_validator("block", "allow")
    @classmethod
    def _cidrs(cls, values: list[str]) -> list[str]:
        canonical = []  # CIDR notation (AWS takes no netmasks), so SEC016 reads every network one way
        for value in values:
            try:
                canonical.append(str(ipaddress.ip_network(value)))
            except ValueError as exc:
                raise ValueError(f"'{value}' is not an IP network like 192.0.2.0/24 ({exc})") from None
        values = canonical
        if len(set(values)) != len(values):
            raise ValueError("an address is listed twice")
        return values


class WafLogging(SpecModel):
    """Request logs to an encrypted CloudWatch log group named `aws-waf-logs-<service>-<name>-<environment>`."""

    enabled: bool = Field(True, description="Log requests. Turning it off is recorded in the template.",
                          examples=[True])
    retention_days: RetentionDays | None = Field(None, description="Default: `defaults.log_retention_days`.",
                                                 examples=[90])
    redact_headers: list[str] = Field(default_factory=lambda: ["authorization", "cookie"],
                                      description="Request headers replaced by REDACTED in the logs.",
                                      examples=[["authorization", "cookie", "x-api-key"]])

    @field_validator("redact_headers")
    @classmethod
    def _headers(cls, values: list[str]) -> list[str]:
        import re

        for value in values:
            if not re.fullmatch(r"[a-z0-9-]{1,64}", value):
                raise ValueError(f"'{value}' is not a lower-case header name like authorization")
        return values


class WebAclSpec(SpecModel):
    """A WAFv2 web ACL."""

    scope: Literal["regional", "cloudfront"] = Field(
        "regional", description="`regional` protects the API stage; `cloudfront` protects a distribution and is "
                                "created by the global stack (us-east-1).", examples=["regional"])
    attach: Literal["api", "none"] | None = Field(
        None, description="`api`: associate with the API stage (default for `regional`); `none`: created for others "
                          "to refer to (default for `cloudfront`).", examples=["api"])
    default_action: Literal["allow", "block"] = Field("allow", description="What happens to a request no rule "
                                                      "decides.", examples=["allow"])
    managed_rules: list[ManagedRuleGroup] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["ip_reputation", "known_bad_inputs", "common", "sql_injection"],
        description="AWS managed rule groups: " + ", ".join(MANAGED_RULE_GROUPS) + ". They run in that order. "
                    "Leaving out known_bad_inputs (Log4j and other exploit payloads) is recorded in the template.",
        examples=[["ip_reputation", "known_bad_inputs", "common", "sql_injection", "linux"]])
    count_only: dict[ManagedRuleGroup, list[str]] = Field(  # type: ignore[valid-type]
        default_factory=dict, description="Rules of a managed group that only count matches instead of blocking "
        "(for false positives), by group.", examples=[{"common": ["SizeRestrictions_BODY"]}])
    rate_limit: RateLimit | None = Field(
        default_factory=lambda: RateLimit(limit=2000), description="Per-address rate limit (default 2,000 requests "
        "per 5 minutes); `null` turns it off, which is recorded in the template.")
    geo: Geo | None = Field(None, description="Countries blocked, or the only ones served.")
    ip_sets: IpSets | None = Field(None, description="Addresses blocked, or the only ones admitted.")
    logging: WafLogging = Field(default_factory=WafLogging, description="Request logging.")
    description: str = Field("", max_length=256, pattern=r"^[A-Za-z0-9+=:#@/\-,. ]*$",
                             description="Shown in the WAF console.", examples=["Protects the payments API"])

    @model_validator(mode="after")
    def _consistent(self) -> WebAclSpec:
        if self.scope == "cloudfront" and self.attach == "api":
            raise ValueError("a CLOUDFRONT web ACL protects a distribution, not the API stage: use `scope: regional`")
        if len(set(self.managed_rules)) != len(self.managed_rules):
            raise ValueError("managed_rules lists a group twice")
        for group in self.count_only:
            if group not in self.managed_rules:
                raise ValueError(f"count_only names '{group}', which is not in managed_rules")
        if self.capacity() > MAX_CAPACITY:
            raise ValueError(f"these rules need {self.capacity()} web ACL capacity units, more than the "
                             f"{MAX_CAPACITY} AWS allows")
        return self

    def attached_to_api(self) -> bool:
        return (self.attach or ("api" if self.scope == "regional" else "none")) == "api"

    def capacity(self) -> int:
        """Web ACL capacity units (WCUs): what AWS charges and limits."""
        units = sum(MANAGED_RULE_GROUPS[group][1] for group in set(self.managed_rules))
        units += 2 if self.rate_limit else 0
        units += 1 if self.geo else 0
        units += len([x for x in (self.ip_sets.block, self.ip_sets.allow) if x]) if self.ip_sets else 0
        return units


def _condition(ctx: BuildContext) -> None:
    region_conditions.add(ctx.template, CDN_REGION, [CLOUDFRONT_REGION])


def metric_name(spec: Any, name: str) -> str:
    return cast(str, spec.physical(name))


def log_group_name(spec: Any, name: str) -> str:
    return f"aws-waf-logs-{spec.physical(name)}"


def web_acl_arn(name: str) -> GetAtt:
    return GetAtt(logical_id(name, "WebAcl"), "Arn")


def build(ctx: BuildContext, name: str, spec: WebAclSpec) -> None:
    origin = ("waf", name)
    physical = ctx.physical(name)
    scope = spec.scope.upper()
    condition = None
    if spec.scope == "cloudfront":
        _condition(ctx)
        condition = CDN_REGION
    acl_id = logical_id(name, "WebAcl")
    rules = _address_rules(ctx, name, spec, scope, condition, origin)
    if spec.geo is not None:
        countries = sorted(set(spec.geo.block or spec.geo.allow or []))
        match = wafv2.Statement(GeoMatchStatement=wafv2.GeoMatchStatement(CountryCodes=countries))
        statement = match if spec.geo.block else wafv2.Statement(NotStatement=wafv2.NotStatement(Statement=match))
        rules.append(_rule(ctx, name, "GeoBlock" if spec.geo.block else "GeoAllowOnly", 2, statement))
    if spec.rate_limit is not None:
        rules.append(_rule(ctx, name, "RateLimitPerAddress", 3, wafv2.Statement(
            RateBasedStatement=wafv2.RateBasedStatement(Limit=spec.rate_limit.limit, AggregateKeyType="IP",
                                                        EvaluationWindowSec=spec.rate_limit.window_seconds))))
    for index, group in enumerate(g for g in MANAGED_RULE_GROUPS if g in spec.managed_rules):
        rules.append(_managed_rule(ctx, name, group, FIRST_MANAGED_PRIORITY + index, spec.count_only.get(group, [])))

    acl = wafv2.WebACL(
        acl_id,
        Name=physical,
        Scope=scope,
        Description=spec.description or f"Web ACL {physical}",
        DefaultAction=wafv2.DefaultAction(**({"Allow": wafv2.AllowAction()} if spec.default_action == "allow"
                                             else {"Block": wafv2.BlockAction()})),
        VisibilityConfig=_visibility(metric_name(ctx.spec, name)),
        Rules=rules,
    )
    _opt_outs(ctx, acl, spec, origin)
    if condition:
        acl.Condition = condition
    ctx.add(acl, origin)
    if spec.logging.enabled:
        _logging(ctx, name, spec, condition, origin + ("logging",))
    if spec.attached_to_api():
        from specc.kinds.api import effective
        from specc.kinds.api_ids import API_ID, STAGE_ID

        stage = effective(ctx)
        assert stage is not None  # the perimeter check requires routes for `attach: api`
        ctx.add(wafv2.WebACLAssociation(
            logical_id(name, "WebAclAssociation"),
            ResourceArn=Sub(f"arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}::/restapis/${{{API_ID}}}/stages/"
                            f"{stage.stage}"),
            WebACLArn=web_acl_arn(name),
            DependsOn=[STAGE_ID],
        ), origin + ("attach",))
    # No ARN output: its ID part exists only as GetAtt, which fails the whole stack on the local emulator (it skips
    # WAFv2); the name is deterministic (`<service>-<name>-<environment>`) and a distribution refers by GetAtt.


def _opt_outs(ctx: BuildContext, acl: wafv2.WebACL, spec: WebAclSpec, origin: tuple[Any, ...]) -> None:
    skips = []
    if "known_bad_inputs" not in spec.managed_rules:
        reason = "managed_rules leaves out known_bad_inputs (Log4j and other known exploit payloads)"
        ctx.opt_out(acl, "known_bad_inputs", origin + ("managed_rules",), reason)
        skips.append({"id": "CKV_AWS_192", "comment": reason})
    if spec.rate_limit is None:
        ctx.opt_out(acl, "rate_limit", origin + ("rate_limit",))
    if not spec.logging.enabled:
        ctx.opt_out(acl, "logging", origin + ("logging", "enabled"))
        skips.append({"id": "CKV2_AWS_31", "comment": "request logging turned off in the spec (logging.enabled: "
                      "false)"})
    for entry in skips:
        skip(acl, entry["id"], entry["comment"])


def _visibility(metric: str) -> wafv2.VisibilityConfig:
    return wafv2.VisibilityConfig(CloudWatchMetricsEnabled=True, MetricName=metric, SampledRequestsEnabled=True)


def _rule(ctx: BuildContext, name: str, rule: str, priority: int, statement: wafv2.Statement) -> wafv2.WebACLRule:
    return wafv2.WebACLRule(Name=rule, Priority=priority, Statement=statement,
                            Action=wafv2.RuleAction(Block=wafv2.BlockAction()),
                            VisibilityConfig=_visibility(f"{metric_name(ctx.spec, name)}-{rule}"))


def _managed_rule(ctx: BuildContext, name: str, group: str, priority: int, count_only: list[str]) -> wafv2.WebACLRule:
    group_name = MANAGED_RULE_GROUPS[group][0]
    statement = wafv2.ManagedRuleGroupStatement(VendorName="AWS", Name=group_name)
    if count_only:
        statement.RuleActionOverrides = [
            wafv2.RuleActionOverride(Name=rule, ActionToUse=wafv2.RuleAction(Count=wafv2.CountAction()))
            for rule in sorted(set(count_only))]
    return wafv2.WebACLRule(Name=group_name, Priority=priority,
                            Statement=wafv2.Statement(ManagedRuleGroupStatement=statement),
                            OverrideAction=wafv2.OverrideAction(**{"None": {}}),
                            VisibilityConfig=_visibility(f"{metric_name(ctx.spec, name)}-{group_name}"))


def _address_rules(ctx: BuildContext, name: str, spec: WebAclSpec, scope: str, condition: str | None,
                   origin: tuple[Any, ...]) -> list[wafv2.WebACLRule]:
    """IP sets (one per IP version) and the rules that use them: blocked addresses, then the allow list."""
    if spec.ip_sets is None:
        return []
    rules = []
    for priority, (what, addresses) in enumerate((("block", spec.ip_sets.block), ("allow", spec.ip_sets.allow))):
        if not addresses:
            continue
        references = []
        for version in (4, 6):
            chosen = sorted(a for a in addresses if ipaddress.ip_network(a).version == version)
            if not chosen:
                continue
            set_id = logical_id(name, f"{camel(what)}Ipv{version}IpSet")
            ip_set = wafv2.IPSet(set_id, Name=ctx.physical(f"{name}-{what}-ipv{version}"), Scope=scope,
                                 IPAddressVersion=f"IPV{version}", Addresses=chosen,
                                 # an IP set's description admits no underscore (cfn-lint E3031), an entry name may
                                 Description=f"{what} list of the {name.replace('_', '-')} web ACL")
            if condition:
                ip_set.Condition = condition
            ctx.add(ip_set, origin + ("ip_sets", what))
            references.append(wafv2.Statement(IPSetReferenceStatement=wafv2.IPSetReferenceStatement(
                Arn=GetAtt(set_id, "Arn"))))
        match = references[0] if len(references) == 1 else wafv2.Statement(
            OrStatement=wafv2.OrStatement(Statements=references))
        if what == "block":
            rules.append(_rule(ctx, name, "BlockedAddresses", priority, match))
        else:
            rules.append(_rule(ctx, name, "AllowedAddressesOnly", priority,
                               wafv2.Statement(NotStatement=wafv2.NotStatement(Statement=match))))
    return rules


def _logging(ctx: BuildContext, name: str, spec: WebAclSpec, condition: str | None, origin: tuple[Any, ...]) -> None:
    group_id = logical_id(name, "WafLogGroup")
    if condition:
        key_arn = GetAtt(_global_logs_key(ctx), "Arn")
    else:
        logs_key = ctx.logs_key()
        key_arn = GetAtt(logical_id(logs_key, "Key"), "Arn")
        use_logs_key(ctx, logs_key, log_group_name(ctx.spec, "*"))  # every web ACL's: one ARN pattern
    group = logs.LogGroup(
        group_id,
        LogGroupName=log_group_name(ctx.spec, name),
        RetentionInDays=spec.logging.retention_days or ctx.spec.defaults.log_retention_days,
        KmsKeyId=key_arn,
    )
    if condition:
        group.Condition = condition
    ctx.add(group, origin)
    policy_id = _log_resource_policy(ctx, global_scope=bool(condition))
    config = wafv2.LoggingConfiguration(
        logical_id(name, "WafLogging"),
        ResourceArn=web_acl_arn(name),
        # WAF wants the log group's ARN without the `:*` that GetAtt Arn ends with.
        LogDestinationConfigs=[Sub(f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:"
                                   f"{log_group_name(ctx.spec, name)}")],
        DependsOn=[group_id, policy_id],
    )
    if spec.logging.redact_headers:
        config.RedactedFields = [
            wafv2.LoggingConfigurationFieldToMatch(SingleHeader=wafv2.SingleHeader(Name=header))
            for header in sorted(set(spec.logging.redact_headers))]
    if condition:
        config.Condition = condition
    ctx.add(config, origin)


def _global_logs_key(ctx: BuildContext) -> str:
    """A key in the global stack for the CLOUDFRONT web ACLs' log groups: a log group in us-east-1 cannot use the
    service's logs key in its home region. Rotation on; the root administers it, CloudWatch Logs uses it for
    this service's WAF log groups only."""
    if GLOBAL_LOGS_KEY_ID in ctx.template.resources:
        return GLOBAL_LOGS_KEY_ID
    from specc.kinds.keys import ROOT_ADMINISTERS

    statements = [
        Statement(Sid="AccountRootAdministers", Effect=Allow,
                  Principal=Principal("AWS", Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")),
                  Action=[Action("kms", "*")], Resource=["*"]),
        Statement(Sid="LogsServiceUsesKey", Effect=Allow, Principal=Principal("Service", Sub(LOGS_SERVICE)),
                  Action=[Action(*a.split(":", 1)) for a in sorted(LOGS_KEY_ACTIONS)], Resource=["*"],
                  Condition=Condition([logs_condition({log_group_name(ctx.spec, "*")})])),
    ]
    key = kms.Key(GLOBAL_LOGS_KEY_ID, Condition=CDN_REGION,
                  Description=f"{ctx.spec.service} CloudFront web ACL logs key ({ctx.spec.environment}, us-east-1)",
                  EnableKeyRotation=True, PendingWindowInDays=30,
                  KeyPolicy=PolicyDocument(Version="2012-10-17", Statement=statements))
    skip(key, "GenericResourceWildcardPolicyRule", ROOT_ADMINISTERS, tool="cfripper")
    ctx.add(key, ("waf",))
    return GLOBAL_LOGS_KEY_ID


def _log_resource_policy(ctx: BuildContext, *, global_scope: bool) -> str:
    """One policy per stack for every WAF log group it holds: the log delivery service writes them for this account.
    The CLOUDFRONT web ACLs' policy is in the global stack, the REGIONAL ones' in the service's."""
    policy_id = GLOBAL_LOG_POLICY_ID if global_scope else LOG_POLICY_ID
    if policy_id in ctx.template.resources:
        return policy_id
    scope = "cloudfront" if global_scope else "regional"
    groups = sorted(log_group_name(ctx.spec, n) for n, acl in ctx.spec.waf.items()
                    if acl.logging.enabled and acl.scope == scope)
    document = PolicyDocument(Version="2012-10-17", Statement=[Statement(
        Sid="WafLogDelivery",
        Effect=Allow,
        Principal=Principal("Service", "delivery.logs.amazonaws.com"),
        Action=[Action("logs", "CreateLogStream"), Action("logs", "PutLogEvents")],
        Resource=[f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{g}:log-stream:*"
                  for g in groups],
        Condition=Condition([
            StringEquals("aws:SourceAccount", "${AWS::AccountId}"),
            ArnLike("aws:SourceArn", "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"),
        ]),
    )])
    policy = logs.ResourcePolicy(
        policy_id,
        PolicyName=ctx.physical("waf-global-logs" if global_scope else "waf-logs"),
        PolicyDocument=Sub(json.dumps(encode_to_dict(document), sort_keys=True, separators=(",", ":"))),
    )
    if global_scope:
        policy.Condition = CDN_REGION
    ctx.add(policy, ("waf",))
    return policy_id


def names(spec: Any, name: str, entry: WebAclSpec) -> list[NameRule]:
    rules = [NameRule("web ACL name", spec.physical(name), 128),
             NameRule("log group name", log_group_name(spec, name), 512, r"^[A-Za-z0-9_./#-]+$"),
             NameRule("log resource policy name", spec.physical("waf-global-logs"), 255)]
    if entry.ip_sets is not None:
        rules.append(NameRule("IP set name", spec.physical(f"{name}-allow-ipv6"), 128))
    return rules


def _dimensions(ctx: BuildContext, name: str) -> list[tuple[str, Any]]:
    dimensions: list[tuple[str, Any]] = [("WebACL", metric_name(ctx.spec, name))]
    if ctx.spec.waf[name].scope == "regional":
        dimensions.append(("Region", Ref("AWS::Region")))
    return dimensions + [("Rule", "ALL")]


KIND = Kind(
    section="waf",
    singular="web_acl",
    model=WebAclSpec,
    description="WAFv2 web ACLs (AWS managed rule groups, rate limiting, geo and IP rules, encrypted logs) on the "
                "API stage, or for a CloudFront distribution.",
    build=build,
    names=names,
    attributes={"arn": Attribute("ARN of the web ACL", lambda ctx, name: GetAtt(logical_id(name, "WebAcl"), "Arn"),
                                 lambda ctx, name: CDN_REGION if ctx.spec.waf[name].scope == "cloudfront" else None),
                "id": Attribute("ID of the web ACL", lambda ctx, name: GetAtt(logical_id(name, "WebAcl"), "Id"),
                                lambda ctx, name: CDN_REGION if ctx.spec.waf[name].scope == "cloudfront" else None)},
    metrics=Metrics(
        namespace="AWS/WAFV2",
        names=("AllowedRequests", "BlockedRequests", "CountedRequests", "PassedRequests"),
        dimensions=_dimensions,
    ),
)
