"""Deploy tests against a real moto server (scripts/moto_server.py, the launcher `make run` uses too).

One patched server for the whole session on a free 127.0.0.1 port, reset before each test; the
environment points boto3 and the awscli at it with dummy credentials. `deployed` checks a stack
against its template: every resource moto creates must exist (through describe_stack_resources and
the services' own APIs), and the types moto silently skips are an explicit list, asserted both ways,
so a new silent skip (or moto learning a type) fails a test instead of passing unnoticed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
ADMIN = "123456789012"  # moto's default account: the one the dummy credentials belong to
WORKLOADS = ("111111111111", "222222222222")  # specs/prod.yaml's accounts

# Resource types moto 5.2.5 accepts in a template but never creates (the stack still completes). Keep in step
# with ../shared/design/ARCHITECTURE.md; `deployed` fails when a listed type is created, or an unlisted one is not.
MOTO_SKIPS = {
    "AWS::ApiGateway::Account": "no CloudFormation model in moto",
    "AWS::ApiGateway::GatewayResponse": "no CloudFormation model in moto",
    "AWS::ApiGateway::ApiKey": "no CloudFormation model in moto",
    "AWS::ApiGateway::Stage": "no CloudFormation model in moto (the deployment's stage exists)",
    "AWS::ApiGateway::UsagePlan": "no CloudFormation model in moto",
    "AWS::ApiGateway::UsagePlanKey": "no CloudFormation model in moto",
    "AWS::CloudWatch::Alarm": "no CloudFormation model in moto",
    "AWS::Lambda::EventInvokeConfig": "no CloudFormation model in moto",
    "AWS::S3::BucketPolicy": "no CloudFormation model in moto",
    "AWS::SNS::Subscription": "no CloudFormation model in moto",
    "AWS::SNS::TopicPolicy": "no CloudFormation model in moto",
    "AWS::SQS::QueuePolicy": "no CloudFormation model in moto",
    # Seen deploying specs/examples/waf-api.yaml and pci-payments.yaml (tests/deploy/test_examples.py):
    "AWS::ApiGateway::BasePathMapping": "no CloudFormation model in moto",
    "AWS::ApiGateway::DomainName": "no CloudFormation model in moto (so a GetAtt on it fails the stack)",
    "AWS::CertificateManager::Certificate": "no CloudFormation model in moto",
    "AWS::CloudTrail::Trail": "no CloudFormation model in moto",
    "AWS::Config::ConfigRule": "no CloudFormation model in moto",
    "AWS::Config::ConfigurationRecorder": "no CloudFormation model in moto",
    "AWS::Config::DeliveryChannel": "no CloudFormation model in moto",
    "AWS::EC2::NetworkAcl": "no CloudFormation model in moto",
    "AWS::EC2::NetworkAclEntry": "no CloudFormation model in moto",
    "AWS::EC2::SubnetNetworkAclAssociation": "no CloudFormation model in moto",
    "AWS::Logs::MetricFilter": "no CloudFormation model in moto",
    "AWS::SecurityHub::Hub": "no CloudFormation model in moto",
    "AWS::SecurityHub::Standard": "no CloudFormation model in moto",
    "AWS::WAFv2::LoggingConfiguration": "no CloudFormation model in moto",
    "AWS::WAFv2::WebACL": "no CloudFormation model in moto (so a GetAtt on it fails the stack)",
    "AWS::WAFv2::WebACLAssociation": "no CloudFormation model in moto",
    # Seen deploying specs/examples/serverless-api.yaml (tests/deploy/test_examples.py):
    "AWS::CloudFront::ResponseHeadersPolicy": "no CloudFormation model in moto",
    # Seen deploying tests/golden/secrets (tests/deploy/test_storage_deploy.py):
    "AWS::SecretsManager::ResourcePolicy": "no CloudFormation model in moto",
    "AWS::SecretsManager::RotationSchedule": "no CloudFormation model in moto",
    "AWS::SecretsManager::Secret": "no CloudFormation model in moto",
}
# Resources moto creates without some of their properties: checked to be still missing, so a moto release
# that keeps them shows up here (and the check can become a positive one).
MOTO_DROPS = {
    "AWS::DynamoDB::Table": ["SSESpecification", "PointInTimeRecoverySpecification"],
    "AWS::Lambda::Function": ["DeadLetterConfig", "TracingConfig", "KmsKeyArn"],
    "AWS::Logs::LogGroup": ["KmsKeyId"],
    "AWS::S3::Bucket": ["VersioningConfiguration", "PublicAccessBlockConfiguration", "LifecycleConfiguration",
                        "OwnershipControls", "LoggingConfiguration", "BucketKeyEnabled", "NotificationConfiguration"],
}


def _launcher() -> Any:
    spec = importlib.util.spec_from_file_location("moto_server", REPO / "scripts" / "moto_server.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def launcher() -> Any:
    return _launcher()


@pytest.fixture(scope="session")
def moto_server(launcher: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    server = launcher.start(log=log)
    try:
        yield server
    finally:
        server.stop()
    assert server.process.poll() is not None, f"moto server {server.pid} is still running"


def aws_environment(endpoint: str, monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Dummy credentials, a region, the endpoint; nothing from the machine's own AWS configuration."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def use_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Point boto3 and the awscli at another endpoint (a second moto server)."""
    return lambda endpoint: aws_environment(endpoint, monkeypatch, tmp_path)


@pytest.fixture
def aws(moto_server: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """A clean moto (reset before the test) and the environment pointing at it (127.0.0.1: specc must turn it
    into `localhost` where CloudFormation reads templates)."""
    request = urllib.request.Request(f"http://127.0.0.1:{moto_server.port}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    aws_environment(f"http://127.0.0.1:{moto_server.port}", monkeypatch, tmp_path)
    return moto_server


@pytest.fixture
def session() -> Any:
    """A boto3 session in an account: the caller's, or another through the StackSet execution role."""

    def open_session(account: str = ADMIN) -> boto3.Session:
        if account == ADMIN:
            return boto3.Session()
        credentials = boto3.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/AWSCloudFormationStackSetExecutionRole",
            RoleSessionName="tests")["Credentials"]
        return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                             aws_secret_access_key=credentials["SecretAccessKey"],
                             aws_session_token=credentials["SessionToken"])

    return open_session


@pytest.fixture
def project(tmp_path: Path) -> Any:
    """specs/prod.yaml copied into a temporary project (with its handlers), to change and redeploy."""

    def copy(edit: Any = None) -> Path:
        root = tmp_path / "project"
        if not root.exists():
            shutil.copytree(REPO / "handlers", root / "handlers",
                            ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
            (root / "specs").mkdir()
        text = (REPO / "specs" / "prod.yaml").read_text()
        (root / "specs" / "prod.yaml").write_text(edit(text) if edit else text)
        return root / "specs" / "prod.yaml"

    return copy


def _resources(session: boto3.Session, region: str, stack: str) -> list[dict[str, Any]]:
    cfn = session.client("cloudformation", region_name=region)
    return cfn.describe_stack_resources(StackName=stack)["StackResources"]


@pytest.fixture
def deployed() -> Any:
    """Check that a stack holds every resource of its template that moto creates, and none it skips."""

    def check(session: boto3.Session, region: str, stack: str, template: dict[str, Any]) -> dict[str, str]:
        listed = _resources(session, region, stack)
        created = {r["LogicalResourceId"]: r for r in listed if "LogicalResourceId" in r}
        placeholders = [r for r in listed if "LogicalResourceId" not in r]  # how moto lists a skipped resource
        expected = {name: r["Type"] for name, r in template["Resources"].items() if r["Type"] not in MOTO_SKIPS}
        skipped = {name: r["Type"] for name, r in template["Resources"].items() if r["Type"] in MOTO_SKIPS}
        missing = sorted(f"{name} ({kind})" for name, kind in expected.items() if name not in created)
        assert missing == [], f"moto did not create these (a new silent skip? add it to MOTO_SKIPS): {missing}"
        now_created = sorted(f"{name} ({kind})" for name, kind in skipped.items() if name in created)
        assert now_created == [], f"moto now creates these: remove their types from MOTO_SKIPS: {now_created}"
        assert len(placeholders) == len(skipped)
        for name, resource in created.items():
            assert resource["ResourceType"] == template["Resources"][name]["Type"]
            assert resource["ResourceStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), (name, resource)
        return {name: r.get("PhysicalResourceId", "") for name, r in created.items()}

    return check


@pytest.fixture
def template() -> Any:
    """A compiled template of specs/prod.yaml (or another spec)."""
    from specc.compiler import compile_spec

    def load(name: str = "service.json", spec: Path = REPO / "specs" / "prod.yaml") -> dict[str, Any]:
        return json.loads(json.dumps(compile_spec(spec).templates[name]))

    return load


@pytest.fixture
def services() -> Any:
    """Check through each service's own API that the stack's tables, functions, queues, topics, API, keys, log
    groups, roles and buckets exist with the properties moto keeps (and still lack the ones it drops)."""

    def check(session: boto3.Session, region: str, template: dict[str, Any], physical: dict[str, str]) -> set[str]:
        checked = set()
        for name, resource in template["Resources"].items():
            kind, properties = resource["Type"], resource.get("Properties", {})
            checker = SERVICE_CHECKS.get(kind)
            if checker and name in physical:
                checker(session.client(CLIENTS[kind], region_name=region), physical[name], properties)
                checked.add(kind)
        return checked

    return check


CLIENTS = {"AWS::DynamoDB::Table": "dynamodb", "AWS::Lambda::Function": "lambda", "AWS::SQS::Queue": "sqs",
           "AWS::SNS::Topic": "sns", "AWS::ApiGateway::RestApi": "apigateway", "AWS::KMS::Key": "kms",
           "AWS::Logs::LogGroup": "logs", "AWS::IAM::Role": "iam", "AWS::S3::Bucket": "s3",
           "AWS::Lambda::Alias": "lambda"}


def _table(client: Any, name: str, properties: dict[str, Any]) -> None:
    table = client.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["KeySchema"] == properties["KeySchema"]
    indexes = sorted(i["IndexName"] for i in table.get("GlobalSecondaryIndexes", []))
    assert indexes == sorted(i["IndexName"] for i in properties.get("GlobalSecondaryIndexes", []))
    assert "SSEDescription" not in table  # dropped by moto (MOTO_DROPS)
    backups = client.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"  # dropped


def _function(client: Any, name: str, properties: dict[str, Any]) -> None:
    config = client.get_function_configuration(FunctionName=name)
    for key in ("Runtime", "Handler", "MemorySize", "Timeout"):
        assert config[key] == properties[key], key
    assert sorted(config["Environment"]["Variables"]) == sorted(properties["Environment"]["Variables"])
    assert config["Role"].startswith("arn:aws:iam::")
    assert len(config.get("Layers", [])) == len(properties.get("Layers", []))  # each a layer version's ARN
    assert all(layer["Arn"].startswith("arn:aws:lambda:") for layer in config.get("Layers", []))
    if "ReservedConcurrentExecutions" in properties:
        reserved = client.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"]
        assert reserved == properties["ReservedConcurrentExecutions"]
    assert "DeadLetterConfig" not in config and "KMSKeyArn" not in config  # dropped by moto
    assert config["TracingConfig"]["Mode"] == "PassThrough"  # dropped: the template asks for Active


def _queue(client: Any, url: str, properties: dict[str, Any]) -> None:
    attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["KmsMasterKeyId"].startswith("arn:aws:kms:")
    assert attributes["MessageRetentionPeriod"] == str(properties["MessageRetentionPeriod"])


def _topic(client: Any, arn: str, properties: dict[str, Any]) -> None:
    attributes = client.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["KmsMasterKeyId"].startswith("arn:aws:kms:")


def _api(client: Any, api_id: str, properties: dict[str, Any]) -> None:
    assert client.get_rest_api(restApiId=api_id)["name"] == properties["Name"]
    methods = [m for r in client.get_resources(restApiId=api_id)["items"] for m in r.get("resourceMethods", {})]
    assert methods, "a REST API without methods"


def _key(client: Any, key_id: str, properties: dict[str, Any]) -> None:
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["Enabled"] is True  # fails if the policy is mangled
    assert client.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True


def _log_group(client: Any, name: str, properties: dict[str, Any]) -> None:
    groups = [g for g in client.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
    assert groups and groups[0]["retentionInDays"] == properties["RetentionInDays"]
    assert "kmsKeyId" not in groups[0]  # dropped by moto


def _role(client: Any, name: str, properties: dict[str, Any]) -> None:
    assert client.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]


def _bucket(client: Any, name: str, properties: dict[str, Any]) -> None:
    rules = client.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    wanted = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == wanted["SSEAlgorithm"]
    assert "Status" not in client.get_bucket_versioning(Bucket=name)  # dropped by moto
    assert "LoggingEnabled" not in client.get_bucket_logging(Bucket=name)  # dropped by moto


def _alias(client: Any, arn: str, properties: dict[str, Any]) -> None:
    function, name = arn.split(":")[-2:]
    assert client.get_alias(FunctionName=function, Name=name)["Name"] == properties["Name"]


SERVICE_CHECKS = {"AWS::DynamoDB::Table": _table, "AWS::Lambda::Function": _function, "AWS::SQS::Queue": _queue,
                  "AWS::SNS::Topic": _topic, "AWS::ApiGateway::RestApi": _api, "AWS::KMS::Key": _key,
                  "AWS::Logs::LogGroup": _log_group, "AWS::IAM::Role": _role, "AWS::S3::Bucket": _bucket,
                  "AWS::Lambda::Alias": _alias}


@pytest.fixture
def moto_skips() -> dict[str, str]:
    """The resource types moto accepts but never creates (MOTO_SKIPS), for tests that read stacks themselves."""
    return MOTO_SKIPS
