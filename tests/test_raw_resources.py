"""Raw CloudFormation (`resources:`) and overrides (`overrides:`), through the CLI as users run it (issue 15).

Error messages for each code are pinned in tests/errors/ (raw_*.yaml, override_*.yaml); these tests show what the
compiled templates hold, that both go through the security profile, and that raw resources stay in the parent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specc.cli.app import main

HEAD = """\
specc: 1
service: shop
environment: dev
regions: [us-east-1, eu-west-1]
functions:
  pay:
    handler: handlers/app.py:handler
    uses: {tables: {orders: read_write}}
tables:
  orders:
    partition_key: {name: id, type: S}
"""

PCI = """\
specc: 1
service: shop
environment: dev
regions: [us-east-1]
security: {profile: pci}
tables:
  orders:
    partition_key: {name: id, type: S}
"""

RAW = HEAD + """\
resources:
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: shop-bus-dev}
  PayArn:
    Type: AWS::SSM::Parameter
    DependsOn: Bus
    Properties:
      Type: String
      Value: ${functions.pay.arn}
      Description: {"Fn::Sub": "payments in ${AWS::Region}"}
  Archive:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: "aws:kms", KMSMasterKeyID: "${keys.main.arn}"}
  ArchivePolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: {Ref: Archive}
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Sid: DenyInsecureTransport
            Effect: Deny
            Principal: "*"
            Action: "s3:*"
            Resource: [{"Fn::GetAtt": [Archive, Arn]}, {"Fn::Sub": "${Archive.Arn}/*"}]
            Condition: {Bool: {"aws:SecureTransport": "false"}}
"""


def _compile(runner: Any, spec: Path, out: Path) -> dict[str, Any]:
    result = runner.invoke(main, ["compile", str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    template: dict[str, Any] = json.loads((out / "service.json").read_text())
    return template


def test_raw_resources_compile_with_references_resolved(runner, write_spec, tmp_path) -> None:
    resources = _compile(runner, write_spec(RAW), tmp_path / "out")["Resources"]
    param = resources["PayArn"]
    assert param["Type"] == "AWS::SSM::Parameter"
    assert param["DependsOn"] == ["Bus"]
    assert param["Properties"]["Value"] == {  # ${functions.pay.arn}, by the function's deterministic name
        "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:shop-pay-dev"}
    assert param["Properties"]["Description"] == {"Fn::Sub": "payments in ${AWS::Region}"}  # as written
    assert param["Properties"]["Tags"] == {"specc:environment": "dev", "specc:service": "shop"}  # a map of tags
    assert {"Key": "specc:service", "Value": "shop"} in resources["Bus"]["Properties"]["Tags"]  # a list of tags
    assert param["Metadata"] == {"specc": {"raw": "resources.PayArn"}}
    archive = resources["Archive"]
    key = archive["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert key["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": ["MainKey", "Arn"]}
    # a data store: the spec's deletion policy, as on a generated bucket (security.deletion_policy, Retain)
    assert (archive["DeletionPolicy"], archive["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert "DeletionPolicy" not in param


def test_raw_resources_lint_clean(runner, write_spec) -> None:
    result = runner.invoke(main, ["lint", str(write_spec(RAW))])
    assert result.exit_code == 0, result.output


def test_the_same_spec_gives_the_same_bytes(runner, write_spec, tmp_path) -> None:
    spec = write_spec(RAW + """\
overrides:
  functions.pay.role:
    set: {MaxSessionDuration: 7200}
    remove: [Description]
""")
    _compile(runner, spec, tmp_path / "a")
    _compile(runner, spec, tmp_path / "b")
    assert (tmp_path / "a" / "service.json").read_bytes() == (tmp_path / "b" / "service.json").read_bytes()


def test_an_unencrypted_raw_bucket_fails_pci_like_a_generated_one(runner, write_spec) -> None:
    spec = write_spec(PCI + """\
resources:
  Archive:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration: {Status: Enabled}
""")
    result = runner.invoke(main, ["check", str(spec)])
    assert result.exit_code == 1
    assert ("spec.yaml:10:3 SEC001 resources.Archive: AWS::S3::Bucket Archive is encrypted with no default "
            "encryption, not a customer-managed KMS key") in result.output
    assert "SEC006 resources.Archive: Archive has no AWS::S3::BucketPolicy that denies requests without TLS" \
        in result.output


def test_an_override_that_turns_encryption_off_fails_pci_unless_excused(runner, write_spec, tmp_path) -> None:
    weakened = PCI + """\
overrides:
  tables.orders.table:
    remove: [SSESpecification]
"""
    result = runner.invoke(main, ["check", str(write_spec(weakened))])
    assert result.exit_code == 1
    assert ("spec.yaml:7:3 SEC001 tables.orders: AWS::DynamoDB::Table OrdersTable is encrypted with the "
            "DynamoDB-owned key, not a customer-managed KMS key") in result.output
    assert "the spec changes this resource in `overrides.tables.orders.table`" in result.output
    excused = weakened.replace("security: {profile: pci}", """\
security:
  profile: pci
  exceptions:
    SEC001: {reason: "test data only, never cardholder data", entries: [tables.orders]}""")
    table = _compile(runner, write_spec(excused), tmp_path / "out")["Resources"]["OrdersTable"]
    assert "SSESpecification" not in table["Properties"]
    assert table["Metadata"]["specc"]["overrides"] == [{"remove": ["SSESpecification"],
                                                        "spec": "overrides.tables.orders.table"}]
    assert table["Metadata"]["specc"]["exceptions"][0]["check"] == "SEC001"


def test_overrides_set_nested_paths_and_remove_and_are_recorded(runner, write_spec, tmp_path) -> None:
    spec = write_spec(HEAD + """\
overrides:
  tables.orders.table:
    set:
      ContributorInsightsSpecification.Enabled: true
      Tags.0.Value: ${aws.region}
    reason: top keys on the ops dashboard
  functions.pay.role:
    set: {MaxSessionDuration: 7200}
  functions.pay.log_group:
    set: {LogGroupClass: STANDARD}
""")
    resources = _compile(runner, spec, tmp_path / "out")["Resources"]
    table = resources["OrdersTable"]
    assert table["Properties"]["ContributorInsightsSpecification"] == {"Enabled": True}
    assert table["Properties"]["Tags"][0]["Value"] == {"Ref": "AWS::Region"}
    assert table["Metadata"]["specc"]["overrides"] == [{
        "reason": "top keys on the ops dashboard", "set": ["ContributorInsightsSpecification.Enabled",
                                                          "Tags.0.Value"],
        "spec": "overrides.tables.orders.table"}]
    assert resources["PayRole"]["Properties"]["MaxSessionDuration"] == 7200
    assert resources["PayLogGroup"]["Properties"]["LogGroupClass"] == "STANDARD"


def test_raw_resources_stay_in_the_parent_of_a_split_service(runner, write_spec, tmp_path) -> None:
    functions = "".join(f"  fn{i}: {{handler: handlers/app.py:handler}}\n" for i in range(12))
    spec = write_spec(f"""\
specc: 1
service: big
environment: dev
regions: [us-east-1]
limits: {{margin: 0.8, shards: 3}}
functions:
{functions}resources:
  Fn7Arn:
    Type: AWS::SSM::Parameter
    Properties: {{Type: String, Value: "${{functions.fn7.role_arn}}"}}
""")
    out = tmp_path / "out"
    _compile(runner, spec, out)
    parent = json.loads((out / "service.json").read_text())["Resources"]
    nested = [json.loads(p.read_text()) for p in sorted((out / "nested").glob("*.json"))]
    assert nested, "the spec must be split for this test to mean anything"
    assert "Fn7Arn" in parent and all("Fn7Arn" not in t["Resources"] for t in nested)
    value = parent["Fn7Arn"]["Properties"]["Value"]
    assert set(value) == {"Fn::GetAtt"} and value["Fn::GetAtt"][1].startswith("Outputs.")  # read from its stack


def test_removing_a_raw_data_store_is_data_loss_in_diff(runner, write_spec, tmp_path, monkeypatch) -> None:
    """Raw types that hold data get the same DATA LOSS wording as generated ones (output/data_loss.py goes by type)."""
    monkeypatch.chdir(tmp_path)
    spec = write_spec(HEAD + """\
resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {KmsMasterKeyId: "${keys.main.arn}"}
  JobsPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [{Ref: Jobs}]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Sid: TlsOnly, Effect: Deny, Principal: "*", Action: "sqs:*", Resource: {"Fn::GetAtt": [Jobs, Arn]},
             Condition: {Bool: {"aws:SecureTransport": "false"}}}
""")
    assert runner.invoke(main, ["compile", str(spec), "--out", "templates_out/spec"]).exit_code == 0
    spec.write_text(spec.read_text().split("resources:")[0])
    result = runner.invoke(main, ["diff", str(spec)])
    assert "DATA LOSS: queue jobs (AWS::SQS::Queue Jobs)" in result.output, result.output


def _built(spec_path: Path) -> tuple[Any, dict[str, Any]]:
    """The build context and the service template as the compiler has them just before splitting."""
    from specc import compiler

    seen: list[tuple[Any, dict[str, Any]]] = []
    real = compiler.split_service

    def capture(ctx: Any, plan: Any, service: dict[str, Any]) -> Any:
        seen.append((ctx, json.loads(json.dumps(service))))
        return real(ctx, plan, service)

    compiler.split_service = capture
    try:
        compiler.compile_spec(spec_path)
    finally:
        compiler.split_service = real
    return seen[0]


GOLDEN = Path(__file__).parent / "golden"


def test_every_generated_resource_has_exactly_one_address() -> None:
    from specc.kinds.overrides import addresses

    for case in ("minimal", "raw_resources", "cdn", "audit"):
        ctx, service = _built(GOLDEN / case / "spec.yaml")
        found = addresses(ctx, service["Resources"])
        generated = {t for t, origin in ctx.origins.items() if origin[0] != "resources" and t in service["Resources"]}
        assert sorted(found.values()) == sorted(generated), case  # each once: no two addresses share a resource
        assert all(a.split(".", 1)[0] == ctx.origins[t][0] for a, t in found.items()), case


class _WithOverrides:
    """The compiled spec, with other `overrides`."""

    def __init__(self, spec: Any, overrides: dict[str, Any]) -> None:
        self._spec, self.overrides = spec, overrides

    def __getattr__(self, name: str) -> Any:
        return getattr(self._spec, name)


_BUILT: dict[str, Any] = {}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_setting_a_property_to_its_own_value_changes_only_the_metadata(data: Any) -> None:
    """Any address, any top-level property it has: the template is the same but for the override's record."""
    import copy

    from specc.kinds.overrides import OverrideSpec, addresses, apply

    if not _BUILT:
        _BUILT["ctx"], _BUILT["service"] = _built(GOLDEN / "raw_resources" / "spec.yaml")
    ctx, service = _BUILT["ctx"], _BUILT["service"]
    known = addresses(ctx, service["Resources"])
    address = data.draw(st.sampled_from(sorted(known)))
    resource = service["Resources"][known[address]]
    properties = sorted(resource.get("Properties") or {})
    if not properties:
        return
    chosen = data.draw(st.lists(st.sampled_from(properties), min_size=1, max_size=3, unique=True))
    override = OverrideSpec.model_validate({"set": {p: resource["Properties"][p] for p in chosen}})
    edited = copy.deepcopy(service)
    real_spec = ctx.spec
    ctx.spec = _WithOverrides(real_spec, {address: override})
    try:
        assert apply(ctx, edited) == []
    finally:
        ctx.spec = real_spec
    changed = edited["Resources"].pop(known[address])
    original = copy.deepcopy(service)
    before = original["Resources"].pop(known[address])
    assert edited == original  # no other resource moved
    assert changed["Properties"] == before["Properties"]
    earlier = ((before.get("Metadata") or {}).get("specc") or {}).get("overrides") or []  # the spec's own
    assert changed["Metadata"]["specc"]["overrides"] == [*earlier, {"set": sorted(chosen),
                                                                    "spec": f"overrides.{address}"}]


REGIONAL = """\
specc: 1
service: shop
environment: dev
regions: [us-east-1, eu-west-1, us-west-2]
audit: {trail: {region: us-west-2}, security_alarms: []}
resources:
  EuBus:
    Type: AWS::Events::EventBus
    regions: [eu-west-1]
    Properties: {Name: shop-eu-bus-dev}
  EuBusArn:
    Type: AWS::SSM::Parameter
    Condition: RegionsEuWest1
    Properties: {Type: String, Value: {"Fn::GetAtt": [EuBus, Arn]}}
  TwoRegions:
    Type: AWS::SSM::Parameter
    regions: [us-west-2, us-east-1]
    Properties: {Type: String, Value: "on"}
  AllListed:
    Type: AWS::SSM::Parameter
    regions: [us-west-2, eu-west-1, us-east-1]
    Properties: {Type: String, Value: "on"}
  WithTheTrail:
    Type: AWS::SSM::Parameter
    Condition: AuditTrailRegion
    Properties: {Type: String, Value: "on"}
"""


def test_a_raw_resource_limited_to_some_regions_carries_their_condition(runner, write_spec, tmp_path) -> None:
    template = _compile(runner, write_spec(REGIONAL), tmp_path / "out")
    resources, conditions = template["Resources"], template["Conditions"]
    in_region = {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}
    assert resources["EuBus"]["Condition"] == "RegionsEuWest1" and conditions["RegionsEuWest1"] == in_region
    assert resources["EuBusArn"]["Condition"] == "RegionsEuWest1"  # a user-written Condition the template has
    # several regions: Fn::Or, named in the service's order of regions
    assert resources["TwoRegions"]["Condition"] == "RegionsUsEast1UsWest2"
    assert conditions["RegionsUsEast1UsWest2"] == {"Fn::Or": [
        {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-west-2"]}]}
    assert "Condition" not in resources["AllListed"]  # every region of the service: no condition at all
    assert resources["WithTheTrail"]["Condition"] == "AuditTrailRegion"  # the trail's own condition, reused
    assert conditions["AuditTrailRegion"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-west-2"]}


def test_a_raw_resource_limited_to_some_regions_lints_clean_in_each(runner, write_spec) -> None:
    result = runner.invoke(main, ["lint", str(write_spec(REGIONAL))])
    assert result.exit_code == 0, result.output


def test_naming_a_raw_resource_of_fewer_regions_is_a_located_error(runner, write_spec) -> None:
    spec = write_spec(REGIONAL.replace('Condition: RegionsEuWest1\n', 'regions: [eu-west-1, us-east-1]\n'))
    result = runner.invoke(main, ["validate", str(spec)])
    assert result.exit_code == 1
    assert "E323 resources.EuBusArn.Properties.Value.'Fn::GetAtt': 'EuBus' exists only in eu-west-1, but " \
           "'EuBusArn' names it in us-east-1 as well" in result.output


def test_raw_properties_are_checked_against_the_schema_of_every_region_they_deploy_to(
        runner, write_spec, tmp_path, monkeypatch) -> None:
    """cfn-lint ships one schema per type and region (named by its content's hash). Today every region's schema of a
    type is the same file, so a copy of the data in which eu-west-1's AWS::SSM::Parameter lacks `Tier` stands in
    for a region that has an older schema: the property is refused there, and only there."""
    from specc.build import cfn_schema

    data = cfn_schema._data_dir()
    digest = cfn_schema.resource_types("us-east-1")["AWS::SSM::Parameter"]
    schema = json.loads((data / "resources" / f"{digest}.json").read_text())
    del schema["properties"]["Tier"]
    copy = tmp_path / "schemas"
    (copy / "resources").mkdir(parents=True)
    (copy / "providers").mkdir()
    (copy / "resources" / f"{digest}.json").write_text(json.dumps(cfn_schema.resource_schema("AWS::SSM::Parameter")))
    (copy / "resources" / "older.json").write_text(json.dumps(schema))
    for region in ("us-east-1", "eu-west-1", "us-west-2"):
        providers = {"AWS::SSM::Parameter": "older" if region == "eu-west-1" else digest}
        (copy / "providers" / f"{region}.json").write_text(json.dumps(providers))
    for cached in (cfn_schema.resource_types, cfn_schema.resource_schema, cfn_schema._validator):
        cached.cache_clear()
    monkeypatch.setattr(cfn_schema, "_data_dir", lambda: copy)
    try:
        spec = write_spec("""\
specc: 1
service: shop
environment: dev
regions: [us-east-1, eu-west-1, us-west-2]
resources:
  Everywhere:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Value: "on", Tier: Standard}
  NotInEurope:
    Type: AWS::SSM::Parameter
    regions: [us-east-1, us-west-2]
    Properties: {Type: String, Value: "on", Tier: Standard}
""")
        result = runner.invoke(main, ["validate", str(spec)])
    finally:
        for cached in (cfn_schema.resource_types, cfn_schema.resource_schema, cfn_schema._validator):
            cached.cache_clear()
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if " E3" in line]
    assert len(errors) == 1, result.output
    assert "E311 resources.Everywhere.Properties.Tier: AWS::SSM::Parameter: unknown property 'Tier'" in errors[0]
    assert errors[0].endswith("(in eu-west-1) (properties here: AllowedPattern, DataType, Description, Name, "
                              "Policies, Tags, Type, Value)")
