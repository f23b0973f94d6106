"""specc.aws.resource_checks on AWS: CloudFormation drift detection, its results (DELETED, MODIFIED, NOT_CHECKED,
types it does not list), nested stacks, and the fall-back to the service APIs when drift detection is refused.
AWS's answers are botocore Stubber responses in the shapes AWS documents (moto has no drift detection)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from specc.aws import resource_checks

ROOT, CHILD = "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1", "arn:aws:cloudformation:us-east-1:1:stack/c/2"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


class FakeAws:
    """What resource_checks uses of specc.aws.session.Aws: AWS (no emulator endpoint) and one client per service."""

    def __init__(self) -> None:
        self.clients: dict[str, Any] = {}
        self.stubs: dict[str, Stubber] = {}
        for service in ("cloudformation", "dynamodb"):
            client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
            self.clients[service], self.stubs[service] = client, Stubber(client)
            self.stubs[service].activate()

    def client(self, service: str, region: str) -> Any:
        return self.clients[service]

    def emulator_endpoint(self, region: str) -> str | None:
        return None


def _drift(logical: str, kind: str, physical: str, status: str) -> dict[str, Any]:
    return {"StackId": ROOT, "LogicalResourceId": logical, "PhysicalResourceId": physical, "ResourceType": kind,
            "StackResourceDriftStatus": status, "Timestamp": NOW}


def _summary(logical: str, kind: str, physical: str) -> dict[str, Any]:
    return {"LogicalResourceId": logical, "PhysicalResourceId": physical, "ResourceType": kind,
            "LastUpdatedTimestamp": NOW, "ResourceStatus": "CREATE_COMPLETE"}


def _detect(stub: Stubber, stack: str, drifts: list[dict[str, Any]], resources: list[dict[str, Any]]) -> None:
    stub.add_response("detect_stack_drift", {"StackDriftDetectionId": f"d-{stack[-1]}"}, {"StackName": stack})
    stub.add_response("describe_stack_drift_detection_status", {
        "StackId": stack, "StackDriftDetectionId": f"d-{stack[-1]}", "DetectionStatus": "DETECTION_COMPLETE",
        "StackDriftStatus": "DRIFTED", "Timestamp": NOW}, {"StackDriftDetectionId": f"d-{stack[-1]}"})
    stub.add_response("describe_stack_resource_drifts", {"StackResourceDrifts": drifts}, {"StackName": stack})
    stub.add_response("list_stack_resources", {"StackResourceSummaries": resources}, {"StackName": stack})


def test_drift_detection_names_deleted_and_modified_resources_and_counts_what_it_did_not_check() -> None:
    aws = FakeAws()
    cfn = aws.stubs["cloudformation"]
    _detect(cfn, ROOT, [
        _drift("Table", "AWS::DynamoDB::Table", "t", "DELETED"),
        _drift("Queue", "AWS::SQS::Queue", "q", "MODIFIED"),
        _drift("Topic", "AWS::SNS::Topic", "arn:t", "IN_SYNC"),
        _drift("Alarm", "AWS::CloudWatch::Alarm", "a", "NOT_CHECKED"),
        _drift("Nested", "AWS::CloudFormation::Stack", CHILD, "IN_SYNC")], [
        _summary("Table", "AWS::DynamoDB::Table", "t"), _summary("Queue", "AWS::SQS::Queue", "q"),
        _summary("Topic", "AWS::SNS::Topic", "arn:t"), _summary("Alarm", "AWS::CloudWatch::Alarm", "a"),
        _summary("Plan", "AWS::ApiGateway::UsagePlan", "p"),  # a type drift detection does not list
        _summary("Nested", "AWS::CloudFormation::Stack", CHILD)])
    _detect(cfn, CHILD, [_drift("Function", "AWS::Lambda::Function", "f", "DELETED")],
            [_summary("Function", "AWS::Lambda::Function", "f")])
    found = resource_checks.check_stack(aws, "us-east-1", ROOT)  # type: ignore[arg-type]
    cfn.assert_no_pending_responses()
    assert found.drifted
    assert found.missing == ["Table (AWS::DynamoDB::Table t)", "Function (AWS::Lambda::Function f)"]
    assert found.modified == ["Queue (AWS::SQS::Queue q)"]
    assert (found.present, dict(found.not_checked)) == (2, {"AWS::CloudWatch::Alarm": 1,
                                                            "AWS::ApiGateway::UsagePlan": 1})
    assert found.describe() == (
        "drift detection: 2 present; 2 MISSING: Table (AWS::DynamoDB::Table t), Function (AWS::Lambda::Function f); "
        "1 MODIFIED: Queue (AWS::SQS::Queue q); 2 not checked (ApiGateway::UsagePlan, CloudWatch::Alarm)")


def test_refused_drift_detection_falls_back_to_the_service_apis() -> None:
    aws = FakeAws()
    cfn, dynamodb = aws.stubs["cloudformation"], aws.stubs["dynamodb"]
    cfn.add_client_error("detect_stack_drift", "AccessDenied", "not authorized to perform DetectStackDrift",
                         http_status_code=403)
    cfn.add_response("list_stack_resources", {"StackResourceSummaries": [
        _summary("Table", "AWS::DynamoDB::Table", "gone"), _summary("Kept", "AWS::DynamoDB::Table", "kept"),
        _summary("Alarm", "AWS::CloudWatch::Alarm", "a")]}, {"StackName": ROOT})
    dynamodb.add_client_error("describe_table", "ResourceNotFoundException", "Requested resource not found",
                              http_status_code=400, expected_params={"TableName": "gone"})
    dynamodb.add_response("describe_table", {"Table": {"TableName": "kept"}}, {"TableName": "kept"})
    found = resource_checks.check_stack(aws, "us-east-1", ROOT)  # type: ignore[arg-type]
    assert found.method.startswith("service APIs (drift detection failed: ")
    assert "AccessDenied" in found.method or "not authorized" in found.method
    assert (found.present, found.missing, dict(found.not_checked)) == (
        1, ["Table (AWS::DynamoDB::Table gone)"], {"AWS::CloudWatch::Alarm": 1})


@pytest.mark.parametrize("kind", ["AWS::DynamoDB::Table", "AWS::Lambda::Function", "AWS::KMS::Key",
                                  "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::S3::Bucket", "AWS::IAM::Role",
                                  "AWS::Logs::LogGroup", "AWS::StepFunctions::StateMachine",
                                  "AWS::ApiGateway::RestApi"])
def test_the_types_the_brief_names_have_an_existence_check(kind: str) -> None:
    from specc.aws.existence import CHECKS

    assert kind in CHECKS and CHECKS[kind].gone
