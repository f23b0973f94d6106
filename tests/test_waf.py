"""waf: rule order and content, the stage association, CloudFront placement, logging and its delivery policy."""

from __future__ import annotations

import json

import pytest

from specc.compiler import compile_spec
from specc.kinds.waf import MANAGED_RULE_GROUPS, WebAclSpec

SPEC = """
specc: 1
service: shop
environment: prod
regions: [us-east-1, eu-west-1]
functions:
  app: {{handler: handlers/app.py:handler}}
routes:
  GET /items: app
api: {{stage: live}}
waf:
{waf}
"""


def _compile(write_spec, waf: str) -> dict:
    return compile_spec(write_spec(SPEC.format(waf=waf))).templates["service.json"]


def _rules(template: dict, acl: str) -> list[dict]:
    return template["Resources"][acl]["Properties"]["Rules"]


def test_defaults_block_known_attacks_and_rate_limit_each_address(write_spec) -> None:
    template = _compile(write_spec, "  api: {}")
    rules = _rules(template, "ApiWebAcl")
    assert [r["Name"] for r in rules] == [
        "RateLimitPerAddress", "AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet"]
    assert rules[0]["Statement"]["RateBasedStatement"] == {"AggregateKeyType": "IP", "EvaluationWindowSec": 300,
                                                           "Limit": 2000}
    assert rules[0]["Action"] == {"Block": {}}
    assert all(r["OverrideAction"] == {"None": {}} for r in rules[1:])  # managed groups keep their own blocks
    assert len({r["Priority"] for r in rules}) == len(rules)
    assert all(r["VisibilityConfig"]["CloudWatchMetricsEnabled"] for r in rules)
    acl = template["Resources"]["ApiWebAcl"]
    assert acl["Properties"]["Scope"] == "REGIONAL" and "Condition" not in acl and "Metadata" not in acl


def test_rule_order_does_not_follow_the_spec_order(write_spec) -> None:
    one = _compile(write_spec, "  api: {managed_rules: [sql_injection, common, known_bad_inputs]}")
    two = _compile(write_spec, "  api: {managed_rules: [known_bad_inputs, sql_injection, common]}")
    assert _rules(one, "ApiWebAcl") == _rules(two, "ApiWebAcl")


def test_association_targets_the_stage_after_it_exists(write_spec) -> None:
    association = _compile(write_spec, "  api: {}")["Resources"]["ApiWebAclAssociation"]
    assert association["DependsOn"] == ["ApiStage"]
    assert association["Properties"]["ResourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${Api}/stages/live"}
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": ["ApiWebAcl", "Arn"]}


def test_address_and_geo_rules_come_first(write_spec) -> None:
    template = _compile(write_spec, """  api:
    geo: {block: [KP]}
    ip_sets: {block: ["2001:db8::/32"], allow: [192.0.2.0/24, "2001:db8:1::/48"]}""")
    rules = {r["Name"]: r for r in _rules(template, "ApiWebAcl")}
    assert [r["Name"] for r in _rules(template, "ApiWebAcl")][:3] == ["BlockedAddresses", "AllowedAddressesOnly",
                                                                     "GeoBlock"]
    assert rules["BlockedAddresses"]["Statement"] == {"IPSetReferenceStatement": {
        "Arn": {"Fn::GetAtt": ["ApiBlockIpv6IpSet", "Arn"]}}}
    allow = rules["AllowedAddressesOnly"]["Statement"]["NotStatement"]["Statement"]["OrStatement"]["Statements"]
    assert [s["IPSetReferenceStatement"]["Arn"]["Fn::GetAtt"][0] for s in allow] == ["ApiAllowIpv4IpSet",
                                                                                    "ApiAllowIpv6IpSet"]
    sets = template["Resources"]
    assert sets["ApiAllowIpv6IpSet"]["Properties"]["IPAddressVersion"] == "IPV6"
    assert sets["ApiAllowIpv4IpSet"]["Properties"]["Addresses"] == ["192.0.2.0/24"]
    assert rules["GeoBlock"]["Statement"] == {"GeoMatchStatement": {"CountryCodes": ["KP"]}}


def test_count_only_overrides_name_the_rules(write_spec) -> None:
    rules = {r["Name"]: r for r in _rules(_compile(write_spec, "  api: {count_only: {common: [b_rule, a_rule]}}"),
                                          "ApiWebAcl")}
    statement = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert statement["RuleActionOverrides"] == [{"ActionToUse": {"Count": {}}, "Name": "a_rule"},
                                               {"ActionToUse": {"Count": {}}, "Name": "b_rule"}]


def test_logs_are_encrypted_redacted_and_delivered_by_a_scoped_policy(write_spec) -> None:
    template = _compile(write_spec, "  api: {logging: {retention_days: 90}}")
    resources = template["Resources"]
    group = resources["ApiWafLogGroup"]["Properties"]
    assert group["LogGroupName"] == "aws-waf-logs-shop-api-prod" and group["RetentionInDays"] == 90
    assert group["KmsKeyId"] == {"Fn::GetAtt": ["MainKey", "Arn"]}
    logging = resources["ApiWafLogging"]
    assert logging["DependsOn"] == ["ApiWafLogGroup", "WafLogsResourcePolicy"]
    assert logging["Properties"]["LogDestinationConfigs"] == [{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:"
                                                               "${AWS::AccountId}:log-group:aws-waf-logs-shop-api-prod"}]
    assert [f["SingleHeader"]["Name"] for f in logging["Properties"]["RedactedFields"]] == ["authorization", "cookie"]
    policy = json.loads(resources["WafLogsResourcePolicy"]["Properties"]["PolicyDocument"]["Fn::Sub"])
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Resource"] == ["arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                                     "aws-waf-logs-shop-api-prod:log-stream:*"]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "${AWS::AccountId}"}


def test_cloudfront_acls_go_into_the_global_template_and_are_not_associated(write_spec) -> None:
    templates = compile_spec(write_spec(SPEC.format(waf="  edge: {scope: cloudfront}"))).templates
    service, global_template = templates["service.json"], templates["global.json"]
    assert set(global_template["Resources"]) == {"EdgeWebAcl", "EdgeWafLogGroup", "EdgeWafLogging",
                                                 "WafGlobalLogsKey", "WafGlobalLogsResourcePolicy"}
    assert "CdnRegion" not in json.dumps(service)  # nothing of the global stack's is left in the regional one
    assert global_template["Resources"]["EdgeWebAcl"]["Properties"]["Scope"] == "CLOUDFRONT"
    # Its log group uses a key of the global stack's: a log group in us-east-1 cannot use the home region's key.
    group = global_template["Resources"]["EdgeWafLogGroup"]["Properties"]
    assert group["KmsKeyId"] == {"Fn::GetAtt": ["WafGlobalLogsKey", "Arn"]}
    key = global_template["Resources"]["WafGlobalLogsKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    logs_use = [s for s in key["KeyPolicy"]["Statement"] if s["Sid"] == "LogsServiceUsesKey"]
    assert logs_use[0]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == [{
        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:aws-waf-logs-shop-*-prod"}]
    assert global_template["Resources"]["WafGlobalLogsResourcePolicy"]["Properties"]["PolicyName"] == \
        "shop-waf-global-logs-prod"
    assert not [r for r in service["Resources"].values() if r["Type"] == "AWS::WAFv2::WebACLAssociation"]
    assert not [o for o in global_template.get("Outputs", {}) if "WebAcl" in o]  # an ARN output fails on moto


def test_weakening_defaults_is_recorded_and_explained_to_scanners(write_spec) -> None:
    acl = _compile(write_spec, "  api: {managed_rules: [common], rate_limit: null, logging: {enabled: false}}")[
        "Resources"]["ApiWebAcl"]
    assert sorted(o["control"] for o in acl["Metadata"]["specc"]["opt_outs"]) == [
        "known_bad_inputs", "logging", "rate_limit"]
    assert sorted(s["id"] for s in acl["Metadata"]["checkov"]["skip"]) == ["CKV2_AWS_31", "CKV_AWS_192"]


def test_waf_metrics_can_be_alarmed_on(write_spec) -> None:
    text = SPEC.format(waf="  api: {}") + "alarms:\n  blocked: {metric: waf.api.BlockedRequests, threshold: '> 50'}\n"
    alarm = compile_spec(write_spec(text)).templates["service.json"]["Resources"]["BlockedAlarm"]["Properties"]
    assert alarm["Namespace"] == "AWS/WAFV2" and alarm["MetricName"] == "BlockedRequests"
    assert alarm["Dimensions"] == [{"Name": "WebACL", "Value": "shop-api-prod"},
                                   {"Name": "Region", "Value": {"Ref": "AWS::Region"}},
                                   {"Name": "Rule", "Value": "ALL"}]


def test_capacity_counts_every_rule_and_refuses_more_than_aws_allows(monkeypatch) -> None:
    everything = list(MANAGED_RULE_GROUPS)
    assert WebAclSpec(managed_rules=everything[:4]).capacity() == sum(
        MANAGED_RULE_GROUPS[g][1] for g in everything[:4]) + 2  # + the rate-based rule
    assert WebAclSpec(managed_rules=everything).capacity() <= 5000  # the whole catalogue fits today
    monkeypatch.setitem(MANAGED_RULE_GROUPS, "common", ("AWSManagedRulesCommonRuleSet", 4999))
    with pytest.raises(ValueError, match="5001 web ACL capacity units"):
        WebAclSpec(managed_rules=["common"])


def test_an_entry_named_with_an_underscore_is_lint_clean(write_spec) -> None:
    """IP set descriptions admit no underscore (cfn-lint E3031): `shop_api`, the documented naming style, failed lint
    four times (IPv4 and IPv6 sets of both lists) after compiling and passing `check`."""
    from specc.lint.cfn import lint_templates

    waf = ("  shop_api:\n"
           "    ip_sets: {block: [203.0.113.0/24, '2001:db8:bad::/48'], allow: [198.51.100.0/24, '2001:db8::/32']}")
    spec = compile_spec(write_spec(SPEC.format(waf=waf)))
    ip_sets = {title: r for title, r in spec.templates["service.json"]["Resources"].items()
               if r["Type"] == "AWS::WAFv2::IPSet"}
    assert len(ip_sets) == 4
    assert lint_templates(spec.templates, ["us-east-1"]) == []
