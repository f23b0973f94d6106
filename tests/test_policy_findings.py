"""What each policy check (src/specc/policy/) reports for hand-written resources: the exact message and hint a user
reads, and the strong variant of each weak resource passing. specc's own kinds never trip most checks, so these
are the tests that show each branch of each check can fail, and says what it says when it does."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from specc import policy
from specc.kinds.functions import DESTRUCTIVE_ACTIONS
from specc.policy import base

KEY = {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}, "DeletionPolicy": "Retain",
       "UpdateReplacePolicy": "Retain"}
K = {"Fn::GetAtt": ["K", "Arn"]}


def found(check_id: str, resources: dict[str, dict[str, Any]], profile: str = "baseline", **view: Any) -> list:
    """(logical ID, message, hint) of every finding of one check over `resources` (and the key `K`)."""
    template = base.TemplateView(resources={"K": KEY, **resources}, spec=view.pop("spec", None), profile=profile,
                                 **view)
    return [(f.logical_id, f.message, f.hint) for f in policy.BY_ID[check_id].run(template)]


def messages(check_id: str, resources: dict[str, dict[str, Any]], **view: Any) -> list[str]:
    return [message for _, message, _ in found(check_id, resources, **view)]


# SEC001: data at rest under a customer-managed key
@pytest.mark.parametrize(("resource", "problem"), [
    ({"Type": "AWS::DynamoDB::Table", "Properties": {}}, "the DynamoDB-owned key"),
    ({"Type": "AWS::DynamoDB::Table", "Properties": {"SSESpecification": {"SSEEnabled": True}}},
     "the DynamoDB-owned key"),
    ({"Type": "AWS::DynamoDB::Table", "Properties": {"SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"}}},
     "no KMS key"),
    ({"Type": "AWS::DynamoDB::Table", "Properties": {"SSESpecification": {
        "SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/aws/dynamodb"}}},
     "the AWS-managed key alias/aws/dynamodb"),
    ({"Type": "AWS::DynamoDB::Table", "Properties": {"SSESpecification": {
        "SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Fn::GetAtt": ["Role", "Arn"]}}}},
     "a AWS::IAM::Role, not a key"),
    ({"Type": "AWS::S3::Bucket", "Properties": {}}, "no default encryption"),
    ({"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": {"ServerSideEncryptionConfiguration": [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}}, "SSE-S3 (AES256)"),
    ({"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": {"ServerSideEncryptionConfiguration": [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": K}},
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}}}, "no KMS key"),
    ({"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": True, "KmsMasterKeyId": K}},
     "SQS-managed SSE"),
    ({"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": "arn:aws:kms:eu-west-1:111122223333:alias/aws/sqs"}},
     "the AWS-managed key arn:aws:kms:eu-west-1:111122223333:alias/aws/sqs"),
    ({"Type": "AWS::StepFunctions::StateMachine", "Properties": {"EncryptionConfiguration": {
        "Type": "AWS_OWNED_KEY"}}}, "the AWS-owned key"),
    ({"Type": "AWS::StepFunctions::StateMachine", "Properties": {"EncryptionConfiguration": {
        "Type": "CUSTOMER_MANAGED_KMS_KEY"}}}, "no KMS key"),
    ({"Type": "AWS::Kinesis::Stream", "Properties": {}}, "no KMS key"),
    ({"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": ""}}, "no KMS key"),
    ({"Type": "AWS::Logs::LogGroup", "Properties": {"KmsKeyId": {"Ref": "Role"}}}, "a AWS::IAM::Role, not a key"),
    ({"Type": "AWS::SecretsManager::Secret", "Properties": {}}, "no KMS key"),
    ({"Type": "AWS::Lambda::Function", "Properties": {"KmsKeyArn": "alias/aws/lambda"}},
     "the AWS-managed key alias/aws/lambda"),
    ({"Type": "AWS::CloudTrail::Trail", "Properties": {"KmsKeyId": K}}, "no KMS key"),  # CloudTrail spells it KMSKeyId
])
def test_sec001_names_what_encrypts_a_store_instead_of_a_customer_managed_key(resource, problem) -> None:
    assert found("SEC001", {"Role": {"Type": "AWS::IAM::Role"}, "Store": resource}) == [
        ("Store", f"{resource['Type']} Store is encrypted with {problem}, not a customer-managed KMS key",
         "encrypt it with one of the spec's `keys`")]


@pytest.mark.parametrize("resource", [
    {"Type": "AWS::DynamoDB::Table", "Properties": {"SSESpecification": {
        "SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": K}}},
    {"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": {"ServerSideEncryptionConfiguration": [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": K}}]}}},
    {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": "arn:aws:kms:eu-west-1:111122223333:key/abcd"}},
    {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"EncryptionConfiguration": {
        "Type": "CUSTOMER_MANAGED_KMS_KEY", "KmsKeyId": K}}},
    {"Type": "AWS::Kinesis::Stream", "Properties": {"StreamEncryption": {"KeyId": K}}},
    {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": {"Ref": "K"}}},
    {"Type": "AWS::Logs::LogGroup", "Properties": {"KmsKeyId": K}},
    {"Type": "AWS::SecretsManager::Secret", "Properties": {"KmsKeyId": K}},
    {"Type": "AWS::Lambda::Function", "Properties": {"KmsKeyArn": K}},
    {"Type": "AWS::CloudTrail::Trail", "Properties": {"KMSKeyId": K}},
])
def test_sec001_accepts_the_services_own_keys_and_literal_key_arns(resource) -> None:
    assert found("SEC001", {"Store": resource}) == []


def test_sec001_accepts_an_opt_out_only_with_its_reason_and_control() -> None:
    bucket = {"Type": "AWS::S3::Bucket", "Properties": {}}

    def with_opt_out(entry: dict) -> dict:
        return bucket | {"Metadata": {"specc": {"opt_outs": [entry]}}}

    assert found("SEC001", {"B": with_opt_out({"control": "customer_managed_key", "reason": "S3 access logs"})}) == []
    assert messages("SEC001", {"B": with_opt_out({"control": "customer_managed_key", "reason": ""})}) != []
    assert messages("SEC001", {"B": with_opt_out({"control": "tls_version", "reason": "another control"})}) != []


# SEC005: function roles deny destructive actions
def _denies(actions: list[str], **extra: Any) -> dict:
    return {"Effect": "Deny", "Action": actions, "Resource": "*", **extra}


def _function_with(*statements: dict, role: str = "R") -> dict:
    return {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["R", "Arn"]}}},
            "P": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": role}], "PolicyDocument": {
                "Statement": list(statements)}}}}


def test_sec005_requires_an_unconditional_deny_of_every_destructive_action_on_every_resource() -> None:
    everything = sorted(DESTRUCTIVE_ACTIONS)
    assert found("SEC005", _function_with(_denies(everything))) == []
    assert found("SEC005", _function_with(_denies(everything[:-2]))) == [
        ("F", f"the role of F does not deny 2 destructive action(s) ({everything[-2]}, {everything[-1]})",
         "remove `deny_destructive: false`")]
    missing = len(everything)
    for statements in ([_denies(everything, Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}})],
                       [{"Effect": "Deny", "Action": everything, "Resource": ["arn:aws:s3:::b"]}],
                       [{"Effect": "Allow", "Action": everything, "Resource": "*"}]):
        [(_, message, _)] = found("SEC005", _function_with(*statements))
        assert message == (f"the role of F does not deny {missing} destructive action(s) "
                           f"({', '.join(everything[:3])}...)")
    assert messages("SEC005", _function_with(_denies(everything), role="OtherRole")) != []  # another role's policy
    no_role = {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Role": "arn:aws:iam::1:role/x"}}}
    assert found("SEC005", no_role) == []  # a role given as an ARN: nothing in the template to read


# SEC006: TLS-only resource policies
TLS_ONLY = {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


@pytest.mark.parametrize(("store", "policy_type", "prop"), [
    ("AWS::S3::Bucket", "AWS::S3::BucketPolicy", "Bucket"), ("AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "Queues"),
    ("AWS::SNS::Topic", "AWS::SNS::TopicPolicy", "Topics")])
def test_sec006_each_store_needs_a_policy_of_its_own_type_that_denies_requests_without_tls(store, policy_type,
                                                                                          prop) -> None:
    def with_policy(statement: dict, target: Any = None) -> dict:
        target = target if target is not None else ({"Ref": "S"} if prop == "Bucket" else [{"Ref": "S"}])
        return {"S": {"Type": store, "Properties": {}}, "P": {"Type": policy_type, "Properties": {
            prop: target, "PolicyDocument": {"Statement": [statement]}}}}

    assert found("SEC006", with_policy(TLS_ONLY)) == []
    assert found("SEC006", with_policy(TLS_ONLY | {"Condition": {"Bool": {"aws:SecureTransport": False}}})) == []
    expected = [("S", f"S has no {policy_type} that denies requests without TLS (aws:SecureTransport false)",
                 "give it a TLS-only resource policy")]
    assert found("SEC006", with_policy(TLS_ONLY | {"Effect": "Allow"})) == expected
    assert found("SEC006", with_policy(TLS_ONLY | {"Condition": {"Bool": {"aws:SecureTransport": "true"}}})) == expected
    assert found("SEC006", with_policy(TLS_ONLY | {"Condition": {}})) == expected
    assert found("SEC006", with_policy(TLS_ONLY, target=[{"Ref": "Other"}])) == expected
    assert found("SEC006", {"S": {"Type": store, "Properties": {}}}) == expected


# SEC007: TLS 1.2 or newer
@pytest.mark.parametrize(("resource", "message", "hint"), [
    ({"Type": "AWS::ApiGateway::DomainName", "Properties": {}}, "D allows TLS older than 1.2 (SecurityPolicy unset)",
     "use SecurityPolicy TLS_1_2"),
    ({"Type": "AWS::ApiGateway::DomainName", "Properties": {"SecurityPolicy": "TLS_1_0"}},
     "D allows TLS older than 1.2 (SecurityPolicy TLS_1_0)", "use SecurityPolicy TLS_1_2"),
    ({"Type": "AWS::ApiGateway::DomainName", "Properties": {"SecurityPolicy": "SecurityPolicy_TLS_1_1_2019"}},
     "D allows TLS older than 1.2 (SecurityPolicy SecurityPolicy_TLS_1_1_2019)", "use SecurityPolicy TLS_1_2"),
    ({"Type": "AWS::ApiGateway::DomainName", "Properties": {"SecurityPolicy": "tls10"}},
     "D allows TLS older than 1.2 (SecurityPolicy tls10)", "use SecurityPolicy TLS_1_2"),
    ({"Type": "AWS::ApiGateway::DomainName", "Properties": {"SecurityPolicy": "TLS11"}},
     "D allows TLS older than 1.2 (SecurityPolicy TLS11)", "use SecurityPolicy TLS_1_2"),
    ({"Type": "AWS::ApiGatewayV2::DomainName", "Properties": {"DomainNameConfigurations": [
        {"SecurityPolicy": "TLS_1_2"}, {"SecurityPolicy": "TLS_1_0"}]}}, "D allows TLS older than 1.2",
     "use SecurityPolicy TLS_1_2"),
    ({"Type": "AWS::ApiGatewayV2::DomainName", "Properties": {"DomainNameConfigurations": [{}]}},
     "D allows TLS older than 1.2", "use SecurityPolicy TLS_1_2"),
    ({"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {}}}, "D accepts TLSv1",
     "use MinimumProtocolVersion TLSv1.2_2021"),
    ({"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {"ViewerCertificate": {
        "MinimumProtocolVersion": "TLSv1.1_2016"}}}}, "D accepts TLSv1.1_2016",
     "use MinimumProtocolVersion TLSv1.2_2021"),
    ({"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {"Protocol": "HTTPS",
                                                                        "SslPolicy": "ELBSecurityPolicy-2016-08"}},
     "D SslPolicy ELBSecurityPolicy-2016-08 allows TLS older than 1.2", "use ELBSecurityPolicy-TLS13-1-2-2021-06"),
    ({"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {"Protocol": "TLS"}},
     "D SslPolicy None allows TLS older than 1.2", "use ELBSecurityPolicy-TLS13-1-2-2021-06"),
])
def test_sec007_names_the_setting_that_allows_old_tls(resource, message, hint) -> None:
    assert found("SEC007", {"D": resource}) == [("D", message, hint)]


@pytest.mark.parametrize("resource", [
    {"Type": "AWS::ApiGateway::DomainName", "Properties": {"SecurityPolicy": "TLS_1_2"}},
    {"Type": "AWS::ApiGatewayV2::DomainName", "Properties": {"DomainNameConfigurations": [
        {"SecurityPolicy": "TLS_1_2"}]}},
    {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {"ViewerCertificate": {
        "MinimumProtocolVersion": "TLSv1.2_2021"}}}},
    {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {"ViewerCertificate": {
        "MinimumProtocolVersion": "TLSv1.3_2025"}}}},
    {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {}},
     "Metadata": {"specc": {"opt_outs": [{"control": "custom_certificate", "reason": "no domain: AWS fixes TLSv1"}]}}},
    {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
        "Protocol": "HTTPS", "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}},
    {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
        "Protocol": "TLS", "SslPolicy": "ELBSecurityPolicy-TLS-1-2-Ext-2018-06"}},
    {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {"Protocol": "HTTP"}},
])
def test_sec007_passes_tls_1_2_and_newer(resource) -> None:
    assert found("SEC007", {"D": resource}) == []


# SEC008: mutual TLS, and no way around it
API = {"Type": "AWS::ApiGateway::RestApi", "Properties": {}}


def test_sec008_requires_a_truststore_and_no_execute_api_url() -> None:
    domain = {"Type": "AWS::ApiGateway::DomainName", "Properties": {"MutualTlsAuthentication": {
        "TruststoreUri": "s3://trust/store.pem"}}}
    assert found("SEC008", {"Api": API}) == [
        ("Api", "Api has no custom domain with mutual TLS",
         "add a `domains` entry with `mutual_tls`, or make the API private (`api.access.vpc_endpoints`)")]
    assert found("SEC008", {"Api": API, "D": domain}) == [
        ("Api", "Api keeps its execute-api URL, which bypasses mutual TLS",
         "remove `api.disable_execute_api_endpoint: false`")]
    assert found("SEC008", {"D": {"Type": "AWS::ApiGateway::DomainName", "Properties": {}}}) == [
        ("D", "D does not require client certificates (mutual TLS)",
         "give the domain `mutual_tls: {truststore: s3://...}`")]
    closed = {"Type": "AWS::ApiGateway::RestApi", "Properties": {"DisableExecuteApiEndpoint": True}}
    private = {"Type": "AWS::ApiGateway::RestApi", "Properties": {"EndpointConfiguration": {"Types": ["PRIVATE"]}}}
    assert found("SEC008", {"Api": closed, "D": domain}) == [] and found("SEC008", {"Api": private}) == []


# SEC009: log retention per profile
def _log_group(days: int | None = None) -> dict:
    return {"Type": "AWS::Logs::LogGroup", "Properties": {} if days is None else {"RetentionInDays": days}}


def test_sec009_baseline_keeps_a_week_and_pci_a_year_or_90_days_archived() -> None:
    assert found("SEC009", {"L": _log_group()}) == [
        ("L", "L keeps its events forever (no RetentionInDays)", "set a retention of at least 7 days")]
    assert found("SEC009", {"L": _log_group(5)}) == [
        ("L", "L keeps its events 5 days, less than the 7 days the baseline profile requires for log groups",
         "keep them at least 7 days (`defaults.log_retention_days`)")]
    assert found("SEC009", {"L": _log_group(7)}) == []
    assert messages("SEC009", {"L": _log_group(180)}, profile="pci") == [
        "L keeps its events 180 days, less than the 365 days the pci profile requires for log groups"]
    assert found("SEC009", {"L": _log_group(365)}, profile="pci") == []
    subscription = {"Type": "AWS::Logs::SubscriptionFilter", "Properties": {"LogGroupName": {"Ref": "L"}}}
    assert found("SEC009", {"L": _log_group(90), "S": subscription}, profile="pci") == []
    assert messages("SEC009", {"L": _log_group(30), "S": subscription}, profile="pci") == [
        "L keeps its events 30 days, less than the 90 days the pci profile requires for archived log groups"]
    assert found("SEC009", {"L": _log_group(), "S": subscription}, profile="pci")[0][2] == (
        "set a retention of at least 90 days")
    trail = {"Type": "AWS::CloudTrail::Trail", "Properties": {"S3BucketName": {"Ref": "B"},
                                                             "CloudWatchLogsLogGroupArn": {"Fn::GetAtt": ["L", "Arn"]}}}
    assert found("SEC009", {"L": _log_group(90), "T": trail}, profile="pci") == []
    cloudwatch_only = {"Type": "AWS::CloudTrail::Trail", "Properties": {
        "CloudWatchLogsLogGroupArn": {"Fn::GetAtt": ["L", "Arn"]}}}
    assert messages("SEC009", {"L": _log_group(90), "T": cloudwatch_only}, profile="pci") == [
        "L keeps its events 90 days, less than the 365 days the pci profile requires for log groups"]


# SEC010: required tags
def _spec(required: list[str], tags: dict[str, str]) -> SimpleNamespace:
    return SimpleNamespace(security=SimpleNamespace(required_tags=required), tags=tags)


def test_sec010_reports_a_tag_missing_from_tags_once_and_each_untagged_resource() -> None:
    tagged = {"Type": "AWS::SQS::Queue", "Properties": {"Tags": [{"Key": "Owner", "Value": "x"}]}}
    untagged = {"Type": "AWS::SQS::Queue", "Properties": {"Tags": [{"Key": "Other", "Value": "x"}]}}
    as_map = {"Type": "AWS::SSM::Parameter", "Properties": {"Tags": {"Owner": "x"}}}
    resources = {"A": tagged, "B": untagged, "C": as_map, "D": {"Type": "AWS::IAM::Policy", "Properties": {}}}
    taggable = {"A": True, "B": True, "C": True, "D": False}
    view = {"spec": _spec(["Owner", "Scope"], {"Owner": "team"}), "taggable": taggable}
    template = base.TemplateView(resources=resources, profile="baseline", **view)
    findings = list(policy.BY_ID["SEC010"].run(template))
    assert [(f.logical_id, f.message, f.hint, f.path) for f in findings] == [
        ("", "the required tag 'Scope' has no value in `tags`, so no resource carries it",
         "add `Scope: <value>` to `tags`", ("security", "required_tags", 1)),
        ("B", "B lacks the required tag(s) Owner", "tag it (specc puts `tags` on every resource that takes tags)",
         None)]
    assert found("SEC010", resources, spec=_spec([], {}), taggable=taggable) == []



def test_sec008_holds_an_http_api_to_mutual_tls_too() -> None:
    http = {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "HTTP"}}
    assert found("SEC008", {"Http": http}) == [
        ("Http", "Http has no custom domain with mutual TLS", "add a `domains` entry with `mutual_tls`, or make the "
         "API private (`api.access.vpc_endpoints`)")]
    closed = {**http, "Properties": {**http["Properties"], "DisableExecuteApiEndpoint": True}}
    assert found("SEC008", {"Http": closed}) == []

# SEC011-SEC015
def test_sec011_data_stores_declare_both_policies() -> None:
    for kind in ("AWS::DynamoDB::Table", "AWS::RDS::DBInstance", "AWS::Cognito::UserPool", "AWS::EFS::FileSystem"):
        assert found("SEC011", {"S": {"Type": kind, "Properties": {}}}) == [
            ("S", f"{kind} S leaves DeletionPolicy and UpdateReplacePolicy implied",
             "declare them (`security.deletion_policy`)")]
    assert messages("SEC011", {"S": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"}}) == [
        "AWS::S3::Bucket S leaves UpdateReplacePolicy implied"]
    assert found("SEC011", {"S": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Delete",
                                  "UpdateReplacePolicy": "Delete"}}) == []


def test_sec012_symmetric_keys_rotate() -> None:
    assert found("SEC012", {"K": {"Type": "AWS::KMS::Key", "Properties": {}}}) == [
        ("K", "K does not rotate", "set EnableKeyRotation")]
    assert found("SEC012", {"K": {"Type": "AWS::KMS::Key", "Properties": {"KeySpec": "SYMMETRIC_DEFAULT"}}}) != []
    assert found("SEC012", {"K": {"Type": "AWS::KMS::Key", "Properties": {"KeySpec": "RSA_2048"}}}) == []


def test_sec013_methods_need_authorization_or_an_api_key() -> None:
    def method(**props: Any) -> dict:
        return {"M": {"Type": "AWS::ApiGateway::Method", "Properties": {"HttpMethod": "GET", **props}}}

    expected = [("M", "M can be called anonymously",
                 "give the route `auth:` (`iam`, or a jwt, cognito or lambda authorizer of `api.authorizers`; or set "
                 "`api.auth` for every route), or `api_key: true` on a REST API")]
    assert found("SEC013", method()) == expected and found("SEC013", method(AuthorizationType="NONE")) == expected
    assert found("SEC013", method(AuthorizationType="AWS_IAM")) == []
    assert found("SEC013", method(ApiKeyRequired=True)) == []
    assert found("SEC013", method(HttpMethod="OPTIONS")) == []  # CORS preflight


def test_sec014_functions_run_in_the_vpc() -> None:
    assert found("SEC014", {"F": {"Type": "AWS::Lambda::Function", "Properties": {}}}) == [
        ("F", "F does not run in the VPC", "set `network: private`")]
    assert found("SEC014", {"F": {"Type": "AWS::Lambda::Function", "Properties": {"VpcConfig": {
        "SubnetIds": ["s"]}}}}) == []


def test_sec015_public_apis_sit_behind_a_web_acl() -> None:
    association = {"Type": "AWS::WAFv2::WebACLAssociation", "Properties": {"ResourceArn": {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${Api}/stages/live"}}}
    assert found("SEC015", {"Api": API}) == [
        ("Api", "Api is public and no web ACL protects it", "add a `waf` entry for the API (regional)")]
    assert found("SEC015", {"Api": API, "W": association}) == []
    private = {"Type": "AWS::ApiGateway::RestApi", "Properties": {"EndpointConfiguration": {"Types": ["PRIVATE"]}}}
    assert found("SEC015", {"Api": private}) == []

    http = {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "HTTP"}}
    assert found("SEC015", {"Http": http}) == [  # no web ACL can attach: the hint says what to do instead
        ("Http", "Http is an HTTP API, which AWS WAF cannot protect",
         "use `api.kind: rest` with a `waf` entry, or excuse it, saying what filters requests in front of it "
         "(`security.exceptions.SEC015.reason`)")]


def test_sec016_finds_an_open_allow_list_after_other_rules_of_the_web_acl() -> None:
    """A web ACL's managed rule groups come before its allow list (they count or block, the allow list blocks
    everything outside it): the allow list is still read, and one that admits every IPv4 address is a finding."""
    allow = {"Type": "AWS::WAFv2::IPSet", "Properties": {"IPAddressVersion": "IPV4", "Addresses": ["0.0.0.0/0"]}}
    managed = {"Name": "Common", "Priority": 0, "OverrideAction": {"None": {}}, "Statement": {
        "ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}}}
    outside = {"Name": "AllowList", "Priority": 1, "Action": {"Block": {}}, "Statement": {"NotStatement": {
        "Statement": {"IPSetReferenceStatement": {"Arn": {"Fn::GetAtt": ["Allow", "Arn"]}}}}}}
    acl = {"Type": "AWS::WAFv2::WebACL", "Properties": {"Rules": [managed, outside]}}
    assert found("SEC016", {"Acl": acl, "Allow": allow}) == [
        ("Allow", "the allow list (Allow) admits every IPv4 address", "list the networks that may pass, or leave "
         "`allow` out")]
    narrow = {**allow, "Properties": {**allow["Properties"], "Addresses": ["192.0.2.0/24"]}}
    assert found("SEC016", {"Acl": acl, "Allow": narrow}) == []
    geo = {"Name": "Countries", "Priority": 1, "Action": {"Block": {}}, "Statement": {"NotStatement": {
        "Statement": {"GeoMatchStatement": {"CountryCodes": ["DE"]}}}}}
    both = {**outside, "Priority": 2, "Statement": {"NotStatement": {"Statement": {"OrStatement": {"Statements": [
        outside["Statement"]["NotStatement"]["Statement"], geo["Statement"]["NotStatement"]["Statement"]]}}}}}
    after_geo = {**acl, "Properties": {"Rules": [managed, geo, {**outside, "Priority": 2}]}}
    assert [m for _, m, _ in found("SEC016", {"Acl": after_geo, "Allow": allow})] == [
        "the allow list (Allow) admits every IPv4 address"]  # a rule on something else before it hides nothing
    mixed = {**acl, "Properties": {"Rules": [managed, both]}}  # outside the set *or* outside Germany: a perimeter
    assert found("SEC016", {"Acl": mixed, "Allow": allow}) == []
    six = {"Type": "AWS::WAFv2::IPSet", "Properties": {"IPAddressVersion": "IPV6", "Addresses": ["::/0"]}}
    dual = {**outside, "Statement": {"NotStatement": {"Statement": {"OrStatement": {"Statements": [
        {"IPSetReferenceStatement": {"Arn": {"Fn::GetAtt": [name, "Arn"]}}} for name in ("Allow", "Six")]}}}}}
    assert [m for _, m, _ in found("SEC016", {"Acl": {**acl, "Properties": {"Rules": [dual]}}, "Allow": allow,
                                              "Six": six})] == ["the allow list (Allow, Six) admits every IPv4 and "
                                                                "IPv6 address"]


def test_sec016_reads_an_api_policys_allow_after_its_deny_statements() -> None:
    statements = [{"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*",
                   "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                  {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*",
                   "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "0.0.0.0/0"]}}}]
    api = {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Policy": {"Statement": statements}}}
    assert [m for _, m, _ in found("SEC016", {"Api": api})] == [
        "the resource policy of Api admits every IPv4 address"]


def test_sec016_counts_a_network_written_with_host_bits_and_skips_what_is_not_a_network() -> None:
    from specc.policy.sec016_open_networks import whole_internet

    assert whole_internet(["10.0.0.1/0"]) == ["IPv4"]  # the host bits change nothing: every address
    assert whole_internet(["${Parameter}", "0.0.0.0/0"]) == ["IPv4"]  # a value that is no network hides nothing


# base.py: how checks read templates
def test_policy_documents_are_read_as_objects_json_text_or_a_sub_of_json_text() -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    text = '{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}'
    assert base.statements({"Statement": [statement, "junk"]}) == [statement]
    assert base.statements({"Statement": statement}) == [statement]
    assert base.statements(text) == [statement]
    assert base.statements({"Fn::Sub": text}) == base.statements({"Fn::Sub": [text, {}]}) == [statement]
    assert base.statements("not json") == [] and base.statements(["x"]) == [] and base.statements(None) == []


def test_references_are_found_through_ref_getatt_and_sub() -> None:
    assert base.single_ref({"Ref": "A"}) == "A"
    assert base.single_ref({"Fn::GetAtt": ["B", "Arn"]}) == "B" and base.single_ref({"Fn::GetAtt": "C.Arn"}) == "C"
    assert base.single_ref({"Ref": "A", "x": 1}) is None and base.single_ref("A") is None
    assert base.single_ref({"Ref": ["A"]}) is None
    value = {"x": [{"Ref": "A"}, {"Fn::GetAtt": "B.Arn"}, {"Fn::GetAtt": ["C", "Arn"]},
                   {"Fn::Sub": "${D.Arn}/${AWS::Region}/${!Literal}"},
                   {"Fn::Sub": ["${E}-${name}", {"name": {"Ref": "F"}}]}]}
    assert base.referenced(value) == {"A", "B", "C", "D", "AWS::Region", "E", "name", "F"}
    assert base.as_list(None) == [] and base.as_list("a") == ["a"] and base.as_list(["a"]) == ["a"]


def test_the_view_follows_nested_stack_parameters_a_few_levels_deep() -> None:
    view = base.TemplateView(resources={"K": KEY}, spec=None, profile="baseline",
                             passed={"P1": {"Ref": "P2"}, "P2": {"Fn::GetAtt": ["K", "Arn"]}, "Loop": {"Ref": "Loop"}})
    assert view.type_of({"Ref": "P1"}) == "AWS::KMS::Key"
    assert view.type_of({"Ref": "Loop"}) is None and view.type_of({"Ref": "Missing"}) is None
    assert view.type_of("arn:aws:kms:x") is None
    assert view.properties("K") == {"EnableKeyRotation": True} and view.properties("Missing") == {}


def test_the_view_lists_resources_of_several_types_by_logical_id() -> None:
    view = base.TemplateView(resources={"B": {"Type": "T1"}, "A": {"Type": "T2"}, "C": {"Type": "T1"}}, spec=None,
                             profile="baseline")
    assert [lid for lid, _ in view.of_type("T1", "T2")] == ["A", "B", "C"]
    assert [lid for lid, _ in view.of_type("T1")] == ["B", "C"] and list(view.of_type("T3")) == []


def test_identity_and_resource_documents_are_found_where_each_type_keeps_them() -> None:
    document = {"Statement": []}
    resources = {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyDocument": document}, "junk"]}},
        "Managed": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": document}},
        "Bus": {"Type": "AWS::Events::EventBusPolicy", "Properties": {"Statement": {"Effect": "Allow"}}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": document}},
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {}},
    }
    view = base.TemplateView(resources=resources, spec=None, profile="baseline")
    assert list(base.identity_documents(view)) == [("Managed", "PolicyDocument", document),
                                                   ("Role", "Policies[0]", document)]
    assert list(base.resource_documents(view)) == [("Bus", "Statement", {"Statement": {"Effect": "Allow"}}),
                                                   ("Key", "KeyPolicy", document)]


def test_rules_describe_every_check_and_the_unused_exception_code() -> None:
    rules = policy.rules()
    assert rules["SEC002"] == "No Allow statement grants a wildcard action."
    assert rules["SEC014"] == "Functions run in the VPC's private subnets."
    assert rules["E231"] == "A security exception excuses nothing: its check passes."
    assert sorted(rules) == sorted([c.id for c in policy.CHECKS] + ["E231"])


# Every statement, action and resource is looked at: a finding early in a document never hides a later one.
def test_sec002_reads_every_statement_and_action_and_says_which() -> None:
    document = {"Statement": [
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Sid": "Named", "Effect": "Allow", "Action": ["s3:GetObject", "s3:Put*"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["sqs:*"], "Resource": "*"}]}
    assert found("SEC002", {"P": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": document}}}) == [
        ("P", "PolicyDocument of P allows NotAction (every action but some)", "name the actions instead"),
        ("P", "PolicyDocument of P (statement Named) allows the wildcard action 's3:Put*'",
         "name exactly the actions needed"),
        ("P", "PolicyDocument of P (statement ?) allows the wildcard action 'sqs:*'",
         "name exactly the actions needed")]
    key_policy = {"Statement": [{"Effect": "Allow", "Principal": ROOT, "Action": ["kms:*", "kms:Get*"],
                                 "Resource": "*"}]}
    assert messages("SEC002", {"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": key_policy}}}) == [
        "KeyPolicy of Key (statement ?) allows the wildcard action 'kms:Get*'"]


ROOT = {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}


def test_sec003_lists_every_action_on_resource_star_of_every_allow() -> None:
    document = {"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
                              {"Effect": "Allow", "Action": ["sqs:SendMessage", "s3:GetObject"], "Resource": ["*"]}]}
    assert found("SEC003", {"P": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": document}}}) == [
        ("P", "PolicyDocument of P (statement ?) allows s3:GetObject, sqs:SendMessage on every resource ('*')",
         "name the resources (ARNs) the actions need")]


def test_sec004_names_the_managed_policy_however_its_arn_is_written() -> None:
    def role(arn: Any) -> dict:
        return {"R": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [arn]}}}

    hint = "grant exactly what the role needs (specc derives it from `uses`)"
    assert found("SEC004", role("arn:aws:iam::aws:policy/ReadOnlyAccess")) == [
        ("R", "R has the managed policy 'ReadOnlyAccess'", hint)]
    assert messages("SEC004", role({"Fn::Sub": ["arn:${AWS::Partition}:iam::aws:policy/${Name}", {"Name": "x"}]})) == [
        "R has the managed policy '${Name}'"]
    assert messages("SEC004", role("MyPolicy")) == ["R has the managed policy 'MyPolicy'"]
    # a customer managed policy's path is part of its name, even one that reads like another ARN's tail
    assert messages("SEC004", role("arn:aws:iam::111122223333:policy/team:policy/x/Admin")) == [
        "R has the managed policy 'team:policy/x/Admin'"]
    assert messages("SEC004", role({"Ref": "PolicyArn"})) == ["R has the managed policy '{'Ref': 'PolicyArn'}'"]


def test_sec005_lists_three_missing_actions_then_elides() -> None:
    everything = sorted(DESTRUCTIVE_ACTIONS)
    [(_, three, _)] = found("SEC005", _function_with(_denies(everything[3:])))
    assert three.endswith(f"({', '.join(everything[:3])})")
    [(_, four, _)] = found("SEC005", _function_with(_denies(everything[4:])))
    assert four.endswith(f"({', '.join(everything[:3])}...)")
    resources = _function_with(_denies(everything[1:])) | {
        "E": {"Type": "AWS::Lambda::Function", "Properties": {"Role": "arn:aws:iam::1:role/x"}}}
    assert [lid for lid, _, _ in found("SEC005", resources)] == ["F"]  # a function without a role ref is skipped


def test_checks_look_past_the_resources_they_skip() -> None:
    """Resources a check passes over (a private API, a CORS preflight, an untaggable policy) come first by logical
    ID here: the weak resource after them is still reported."""
    private = {"Type": "AWS::ApiGateway::RestApi", "Properties": {"EndpointConfiguration": {"Types": ["PRIVATE"]}}}
    assert [lid for lid, _, _ in found("SEC008", {"A": private, "B": API})] == ["B"]
    assert [lid for lid, _, _ in found("SEC015", {"A": private, "B": API})] == ["B"]
    options = {"Type": "AWS::ApiGateway::Method", "Properties": {"HttpMethod": "OPTIONS"}}
    anonymous = {"Type": "AWS::ApiGateway::Method", "Properties": {"HttpMethod": "GET"}}
    assert [lid for lid, _, _ in found("SEC013", {"A": options, "B": anonymous})] == ["B"]
    untagged = {"Type": "AWS::SQS::Queue", "Properties": {}}
    assert found("SEC010", {"A": {"Type": "AWS::IAM::Policy"}, "B": untagged}, spec=_spec(["Owner", "Scope"], {
        "Owner": "x", "Scope": "y"}), taggable={"A": False, "B": True}) == [
        ("B", "B lacks the required tag(s) Owner, Scope",
         "tag it (specc puts `tags` on every resource that takes tags)")]


def test_every_archive_and_every_web_acl_association_counts() -> None:
    subscriptions = {f"S{i}": {"Type": "AWS::Logs::SubscriptionFilter",
                               "Properties": {"LogGroupName": {"Ref": f"L{i}"}}}
                     for i in (1, 2)}
    trails = {f"T{i}": {"Type": "AWS::CloudTrail::Trail", "Properties": {
        "S3BucketName": "b", "CloudWatchLogsLogGroupArn": {"Fn::GetAtt": [f"M{i}", "Arn"]}}} for i in (1, 2)}
    groups = {name: _log_group(90) for name in ("L1", "L2", "M1", "M2")}
    assert found("SEC009", {**groups, **subscriptions, **trails}, profile="pci") == []
    associations = {f"W{i}": {"Type": "AWS::WAFv2::WebACLAssociation", "Properties": {"ResourceArn": {
        "Fn::Sub": f"arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}::/restapis/${{Api{i}}}/stages/live"}}}
        for i in (1, 2)}
    assert found("SEC015", {"Api1": API, "Api2": API, **associations}) == []


def test_sec001_refuses_an_aws_managed_alias_however_it_is_built() -> None:
    joined = {"Fn::Join": ["", ["alias/aws/", "sqs"]]}
    assert messages("SEC001", {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": joined}}}) == [
        f"AWS::SQS::Queue Q is encrypted with the AWS-managed key {joined}, not a customer-managed KMS key"]


def test_names_of_nested_stack_outputs_are_read_up_to_their_first_dot() -> None:
    assert base.single_ref({"Fn::GetAtt": "Shared.Outputs.KeyArn"}) == "Shared"
    assert base.referenced({"Fn::GetAtt": "Shared.Outputs.KeyArn"}) == {"Shared"}
    assert base.referenced({"Fn::Sub": "${Shared.Outputs.KeyArn}"}) == {"Shared"}
    assert base.referenced({"Fn::Sub": ["${A}"]}) == {"A"}
    assert base.referenced({"a": {"Ref": "A"}, "b": {"Ref": "B"}}) == {"A", "B"}


def test_an_exception_entry_covers_its_section_or_one_entry_and_everything_under_it() -> None:
    assert policy._covers([], ("functions", "orders"))
    assert policy._covers(["routes"], ("routes", "GET /orders"))
    assert policy._covers(["functions.orders"], ("functions", "orders", "uses", "tables"))
    assert policy._covers(["routes.GET /v1.0/orders"], ("routes", "GET /v1.0/orders"))
    assert not policy._covers(["functions.orders"], ("functions", "order"))
    assert not policy._covers(["functions.orders"], ("routes", "orders"))
    assert not policy._covers(["routes"], ())


SPEC = """
specc: 1
service: shop
environment: dev
regions: [eu-west-1]
functions:
  orders:
    handler: handlers/app.py:handler
routes:
  GET /orders: orders
  POST /orders: orders
security:
  profile: pci
  exceptions:
"""


def _diagnostics(write_spec, exceptions: str) -> list:
    from specc.compiler import compile_spec
    from specc.language.diagnostics import SpecError

    with pytest.raises(SpecError) as caught:
        compile_spec(write_spec(SPEC + exceptions))
    return sorted(caught.value.diagnostics, key=lambda d: d.sort_key())


def test_an_exception_for_one_route_still_reports_the_others(write_spec) -> None:
    found = _diagnostics(write_spec, "    SEC013: {reason: 'GET is a public read of the catalogue', "
                                     "entries: ['routes.GET /orders']}\n")
    assert [(d.code, d.field_path) for d in found if d.code == "SEC013"] == [("SEC013", "routes.'POST /orders'")]


def test_an_unused_exception_says_whether_its_check_passes_or_its_entries_miss(write_spec) -> None:
    passing = [d for d in _diagnostics(write_spec, "    SEC012: {reason: 'keys are rotated by hand, yearly'}\n")
               if d.code == "E231"]
    assert [(d.message, d.hint, d.position.line, d.position.column) for d in passing] == [
        ("the exception for SEC012 excuses no finding: the check passes",
         "remove the exception (or fix `entries` to name what still needs it)", 14, 5)]
    missing = [d for d in _diagnostics(write_spec, "    SEC014: {reason: 'the routes need no network', "
                                                   "entries: [routes]}\n") if d.code == "E231"]
    assert [d.message for d in missing] == ["the exception for SEC014 excuses no finding"]
