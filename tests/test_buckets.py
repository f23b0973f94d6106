"""The buckets kind beyond its golden case: what each setting does to the bucket, its policy and its alarms, and how
the audit trail selects its objects in every region without naming one."""

from __future__ import annotations

from typing import Any

from specc.compiler import compile_spec

SPEC = """
specc: 1
service: files
environment: dev
regions: [us-east-1, eu-west-1]
keys: {{data: {{}}, storage: {{}}}}
defaults: {{key: data}}
buckets:
  docs: {docs}
{extra}
"""


def _compile(write_spec, docs: str = "{}", extra: str = "") -> dict[str, Any]:
    return compile_spec(write_spec(SPEC.format(docs=docs, extra=extra))).templates["service.json"]


def test_secure_defaults(write_spec) -> None:
    resources = _compile(write_spec)["Resources"]
    bucket = resources["DocsBucket"]["Properties"]
    assert bucket["BucketName"] == {"Fn::Sub": "files-docs-dev-${AWS::AccountId}-${AWS::Region}"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [{
        "BucketKeyEnabled": True,
        "ServerSideEncryptionByDefault": {"KMSMasterKeyID": {"Fn::GetAtt": ["DataKey", "Arn"]},
                                          "SSEAlgorithm": "aws:kms"}}]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True} and len(
        bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert bucket["LifecycleConfiguration"]["Rules"] == [{
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}, "Id": "Housekeeping",
        "NoncurrentVersionExpiration": {"NoncurrentDays": 90}, "Status": "Enabled",
        "Transitions": [{"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 0}]}]
    assert bucket["LoggingConfiguration"] == {"DestinationBucketName": {"Ref": "DocsAccessLogsBucket"},
                                              "LogFilePrefix": "docs/"}
    assert "Metadata" not in resources["DocsBucket"] or "specc" not in resources["DocsBucket"]["Metadata"]
    statements = {s["Sid"]: s for s in resources["DocsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]}
    assert set(statements) == {"DenyInsecureTransport", "DenyOtherEncryption", "DenyOtherKeys"}
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statements["DenyOtherKeys"]["Condition"] == {"StringNotEqualsIfExists": {
        "s3:x-amz-server-side-encryption-aws-kms-key-id": {"Fn::GetAtt": ["DataKey", "Arn"]}}}
    logs = resources["DocsAccessLogsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][1]
    assert logs["Principal"] == {"Service": "logging.s3.amazonaws.com"}  # from this bucket only:
    assert logs["Condition"]["ArnLike"]["aws:SourceArn"] == [{"Fn::GetAtt": ["DocsBucket", "Arn"]}]


def test_opting_out_is_recorded_and_old_versions_need_versioning(write_spec) -> None:
    resources = _compile(write_spec, "{versioning: false, access_logs: false, encryption: storage}")["Resources"]
    bucket = resources["DocsBucket"]
    assert "VersioningConfiguration" not in bucket["Properties"]
    assert "LoggingConfiguration" not in bucket["Properties"] and "DocsAccessLogsBucket" not in resources
    assert "NoncurrentVersionExpiration" not in bucket["Properties"]["LifecycleConfiguration"]["Rules"][0]
    assert bucket["Metadata"]["specc"]["opt_outs"] == [
        {"control": "access_logs", "spec": "buckets.docs.access_logs"},
        {"control": "versioning", "spec": "buckets.docs.versioning"}]
    assert {s["id"] for s in bucket["Metadata"]["checkov"]["skip"]} == {"CKV_AWS_18", "CKV_AWS_21"}
    assert [s["id"] for s in bucket["Metadata"]["cfripper"]["skip"]] == ["S3ObjectVersioningRule"]
    assert all("buckets.docs." in s["comment"] for s in bucket["Metadata"]["checkov"]["skip"])
    key = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert key["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": ["StorageKey", "Arn"]}


def test_alarms_get_the_dimensions_each_s3_metric_has(write_spec) -> None:
    extra = """alarms:
  objects: {metric: buckets.docs.NumberOfObjects, threshold: "> 10", period: 86400}
  size: {metric: buckets.docs.BucketSizeBytes, threshold: "> 1000000", period: 86400}
  errors: {metric: buckets.docs.5xxErrors, threshold: "> 0"}"""
    resources = _compile(write_spec, "{request_metrics: true}", extra)["Resources"]
    dimensions = {name: {d["Name"]: d["Value"] for d in resources[f"{name}Alarm"]["Properties"]["Dimensions"]}
                  for name in ("Objects", "Size", "Errors")}
    bucket = {"Ref": "DocsBucket"}
    assert dimensions == {"Objects": {"BucketName": bucket, "StorageType": "AllStorageTypes"},
                          "Size": {"BucketName": bucket, "StorageType": "StandardStorage"},
                          "Errors": {"BucketName": bucket, "FilterId": "EntireBucket"}}
    assert resources["DocsBucket"]["Properties"]["MetricsConfigurations"] == [{"Id": "EntireBucket"}]


def test_the_trail_records_the_bucket_objects_in_every_region_without_naming_one(write_spec) -> None:
    extra = """topics: {alerts: {}}
audit: {trail: {data_events: {tables: [], buckets: [docs]}}, notify: alerts}"""
    template = _compile(write_spec, "{}", extra)
    selectors = template["Resources"]["AuditTrail"]["Properties"]["AdvancedEventSelectors"]
    [objects] = [s for s in selectors if s["Name"] == "Object data events"]
    arns = [f for f in objects["FieldSelectors"] if f["Field"] == "resources.ARN"]
    assert arns == [{"Field": "resources.ARN", "StartsWith": [
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::files-docs-dev-${AWS::AccountId}-"}]}]


def test_only_users_denies_every_other_principal_the_objects(write_spec) -> None:
    extra = """functions:
  reader: {handler: handlers/app.py:handler, uses: {buckets: {docs: read}}}
  writer: {handler: handlers/app.py:handler, uses: {buckets: {docs: write}}}
  other: {handler: handlers/app.py:handler}"""
    resources = _compile(write_spec, "{only_users: true}", extra)["Resources"]
    statements = {s["Sid"]: s for s in resources["DocsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]}
    deny = statements["DenyAllButItsFunctions"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert "s3:GetObject" in deny["Action"] and "s3:PutObject" in deny["Action"] and "s3:ListBucket" in deny["Action"]
    assert deny["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": [{"Fn::GetAtt": ["ReaderRole", "Arn"]},
                                              {"Fn::GetAtt": ["WriterRole", "Arn"]}]},
        "Bool": {"aws:PrincipalIsAWSService": "false"}}  # CloudFront's origin access and log delivery still pass
    without = _compile(write_spec, "{}", extra)["Resources"]["DocsBucketPolicy"]["Properties"]["PolicyDocument"]
    assert "DenyAllButItsFunctions" not in {s["Sid"] for s in without["Statement"]}
