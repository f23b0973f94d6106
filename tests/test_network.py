"""network: subnet layout from the VPC range, restrictive ACLs and groups, endpoint policies equal to the private
functions' grants, and what `network: private` gives a function."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specc.compiler import compile_spec
from specc.kinds.network import NetworkSpec

SPEC = """
specc: 1
service: vault
environment: qa
regions: [us-east-1, eu-west-1]
tables:
  ledger: {{partition_key: {{name: id, type: S}}}}
  archive: {{partition_key: {{name: id, type: S}}}}
topics:
  events: {{}}
functions:
  writer:
    handler: handlers/app.py:handler
    network: {private}
    uses: {{tables: {{ledger: write}}, topics: {{events: publish}}}}
  reader:
    handler: handlers/app.py:handler
    network: {private}
    uses: {{tables: {{ledger: read, archive: read}}}}
  outside:
    handler: handlers/app.py:handler
    uses: {{tables: {{archive: read_write}}}}
network:
{network}
"""


def _compile(write_spec, network: str = "  interface_endpoints: [sns]", private: str = "private") -> dict:
    """Two private functions (tables and a topic: the default gateway endpoints and sns carry their calls)."""
    return compile_spec(write_spec(SPEC.format(network=network, private=private))).templates["service.json"]


def _props(template: dict, logical_id: str) -> dict:
    return template["Resources"][logical_id]["Properties"]


@settings(max_examples=200, deadline=None)
@given(prefix=st.integers(16, 24), base=st.integers(0, 2**32 - 1), zones=st.integers(1, 6),
       extra=st.integers(1, 4))
def test_subnets_are_disjoint_inside_the_vpc_and_stable_when_zones_are_added(prefix, base, zones, extra) -> None:
    cidr = str(ipaddress.IPv4Network((base, prefix), strict=False))
    subnet_prefix = min(prefix + extra + 1, 28)
    try:
        spec = NetworkSpec(cidr=cidr, availability_zones=zones, subnet_prefix=subnet_prefix)
    except ValueError:
        assert 2 ** (subnet_prefix - prefix) // 2 < zones  # refused only when the zones do not fit
        return
    vpc = ipaddress.IPv4Network(cidr)
    subnets = [ipaddress.IPv4Network(c) for c in spec.subnet_cidrs("private") + spec.subnet_cidrs("public")]
    assert len(subnets) == 2 * zones
    assert all(s.subnet_of(vpc) and s.prefixlen == subnet_prefix for s in subnets)
    assert all(not a.overlaps(b) for i, a in enumerate(subnets) for b in subnets[i + 1:])
    if zones > 1:  # one zone fewer keeps every other subnet where it was
        fewer = NetworkSpec(cidr=cidr, availability_zones=zones - 1, subnet_prefix=subnet_prefix)
        assert spec.subnet_cidrs("private")[:-1] == fewer.subnet_cidrs("private")
        assert spec.subnet_cidrs("public")[:-1] == fewer.subnet_cidrs("public")


def test_zones_are_chosen_by_index_never_by_name(write_spec) -> None:
    template = _compile(write_spec, "  availability_zones: 3\n  public_subnets: true\n  interface_endpoints: [sns]")
    subnets = {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == "AWS::EC2::Subnet"}
    assert sorted(subnets) == [f"{tier}Subnet{i}" for tier in ("Private", "Public") for i in (1, 2, 3)]
    for name, subnet in subnets.items():
        assert subnet["AvailabilityZone"] == {"Fn::Select": [int(name[-1]) - 1, {"Fn::GetAZs": ""}]}
        assert subnet["MapPublicIpOnLaunch"] is False
    assert _props(template, "PrivateSubnet1")["CidrBlock"] == "10.0.0.0/20"
    assert _props(template, "PublicSubnet1")["CidrBlock"] == "10.0.128.0/20"


def test_private_subnets_have_no_internet_route_without_nat(write_spec) -> None:
    template = _compile(write_spec)
    types = {r["Type"] for r in template["Resources"].values()}
    assert not types & {"AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::Route"}
    with_nat = _compile(write_spec, "  public_subnets: true\n  nat: single")
    routes = {k: v["Properties"] for k, v in with_nat["Resources"].items() if v["Type"] == "AWS::EC2::Route"}
    assert {r.get("NatGatewayId", {}).get("Ref")
            for k, r in routes.items() if k.startswith("Private")} == {"NatGateway1"}
    assert routes["PublicDefaultRoute"]["GatewayId"] == {"Ref": "InternetGateway"}


def test_acls_admit_nothing_from_the_internet_but_replies_and_never_ssh_or_rdp(write_spec) -> None:
    template = _compile(write_spec, "  public_subnets: true\n  nat: per_az")
    entries = [r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::NetworkAclEntry"]
    assert all(e["Properties"]["RuleAction"] == "allow" and e["Properties"]["Protocol"] == 6 for e in entries)
    from_internet = [e for e in entries
                     if not e["Properties"]["Egress"] and e["Properties"]["CidrBlock"] == "0.0.0.0/0"]
    assert {e["Properties"]["NetworkAclId"]["Ref"] for e in from_internet} == {"PrivateNetworkAcl", "PublicNetworkAcl"}
    for entry in entries:
        props = entry["Properties"]
        low, high = props["PortRange"]["From"], props["PortRange"]["To"]
        if props["Egress"] or props["CidrBlock"] != "0.0.0.0/0":
            continue
        acl = props["NetworkAclId"]["Ref"]
        if acl == "PrivateNetworkAcl":  # only replies (Lambda and NAT use source ports 1024-65535)
            assert (low, high) == (1024, 65535)
        else:  # load balancers' 443, and replies to NAT
            assert (low, high) in ((443, 443), (1024, 65535))
        if (low, high) == (1024, 65535):  # contains 3389: skipped for checkov, with the reason
            assert entry["Metadata"]["checkov"]["skip"][0]["id"] == "CKV_AWS_231"
        assert not low <= 22 <= high
    private_outside = [e for e in entries if e["Properties"]["NetworkAclId"]["Ref"] == "PrivateNetworkAcl"
                       and e["Properties"]["CidrBlock"] == "0.0.0.0/0"]
    assert private_outside, "gateway endpoints reach public ranges, so the private ACL must admit their replies"
    closed = _compile(write_spec, "  gateway_endpoints: []", private="none")
    closed_entries = [r for r in closed["Resources"].values() if r["Type"] == "AWS::EC2::NetworkAclEntry"]
    assert closed_entries and all(r["Properties"]["CidrBlock"] == "10.0.0.0/16" for r in closed_entries)


def test_function_group_only_sends_https_and_endpoint_group_only_receives_it_from_functions(write_spec) -> None:
    template = _compile(write_spec, "  interface_endpoints: [sns]")
    functions = _props(template, "FunctionsSecurityGroup")
    assert "SecurityGroupIngress" not in functions
    assert {(r["IpProtocol"], r["FromPort"], r["ToPort"])
            for r in functions["SecurityGroupEgress"]} == {("tcp", 443, 443)}
    endpoints = _props(template, "EndpointsSecurityGroup")
    assert endpoints["SecurityGroupEgress"][0]["CidrIp"] == "255.255.255.255/32"  # matches nothing
    ingress = _props(template, "EndpointsSecurityGroupIngress")
    assert ingress["SourceSecurityGroupId"] == {"Ref": "FunctionsSecurityGroup"} and ingress["FromPort"] == 443
    isolated = _compile(write_spec, "  gateway_endpoints: []", private="none")
    assert _props(isolated, "FunctionsSecurityGroup")["SecurityGroupEgress"][0]["CidrIp"] == "255.255.255.255/32"


def test_endpoint_policies_are_exactly_the_private_functions_grants(write_spec) -> None:
    template = _compile(write_spec, "  interface_endpoints: [sns, states]")
    dynamodb = _props(template, "DynamodbGatewayEndpoint")["PolicyDocument"]["Statement"]
    by_role: dict[str, list[dict]] = {}
    for statement in dynamodb:
        assert statement["Effect"] == "Allow"
        by_role.setdefault(statement["Principal"]["AWS"]["Fn::GetAtt"][0], []).append(statement)
    assert sorted(by_role) == ["ReaderRole", "WriterRole"]  # `outside` is not in the VPC
    policies = {role: _props(template, role.replace("Role", "Policy"))["PolicyDocument"]["Statement"]
                for role in by_role}
    for role, statements in by_role.items():
        granted = {(a, str(r)) for s in policies[role] if s["Effect"] == "Allow" for a in s["Action"]
                   if a.startswith("dynamodb:") for r in s["Resource"]}
        admitted = {(a, str(r)) for s in statements for a in s["Action"] for r in s["Resource"]}
        assert admitted == granted
    reader_tables = {r["Fn::GetAtt"][0] for s in by_role["ReaderRole"] for r in s["Resource"] if "Fn::GetAtt" in r}
    assert reader_tables == {"LedgerTable", "ArchiveTable"}
    sns = _props(template, "SnsInterfaceEndpoint")["PolicyDocument"]["Statement"]
    assert [(s["Principal"]["AWS"]["Fn::GetAtt"][0], s["Action"]) for s in sns] == [("WriterRole", ["sns:Publish"])]
    # No private function uses Step Functions or S3: those endpoints admit nothing.
    for endpoint in ("StatesInterfaceEndpoint", "S3GatewayEndpoint"):
        assert _props(template, endpoint)["PolicyDocument"]["Statement"] == [{
            "Action": ["*"], "Effect": "Deny", "Principal": "*", "Resource": ["*"], "Sid": "NoFunctionUsesThisService"}]


def test_private_functions_get_vpc_config_and_scoped_eni_permissions(write_spec) -> None:
    template = _compile(write_spec)
    vpc = _props(template, "WriterFunction")["VpcConfig"]
    assert vpc == {"SecurityGroupIds": [{"Ref": "FunctionsSecurityGroup"}],
                   "SubnetIds": [{"Ref": f"PrivateSubnet{i}"} for i in (1, 2, 3)]}
    assert "VpcConfig" not in _props(template, "OutsideFunction")
    statements = {s["Sid"]: s for s in _props(template, "WriterPolicy")["PolicyDocument"]["Statement"]}
    assert statements["DescribeNetworkInterfaces"]["Resource"] == ["*"]
    assert set(statements["DescribeNetworkInterfaces"]["Action"]) == {"ec2:DescribeNetworkInterfaces",
                                                                       "ec2:DescribeSubnets"}
    # Interfaces are created only in the service's private subnets, with the functions' security group; the rest
    # acts on network interfaces only (it was every EC2 resource of the account: `*/*`).
    ec2 = "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}"
    assert statements["CreateNetworkInterfaces"]["Action"] == ["ec2:CreateNetworkInterface"]
    assert sorted(statements["CreateNetworkInterfaces"]["Resource"], key=lambda r: r["Fn::Sub"]) == sorted(
        [{"Fn::Sub": f"{ec2}:network-interface/*"}, {"Fn::Sub": f"{ec2}:security-group/${{FunctionsSecurityGroup}}"}]
        + [{"Fn::Sub": f"{ec2}:subnet/${{PrivateSubnet{i}}}"} for i in (1, 2, 3)], key=lambda r: r["Fn::Sub"])
    assert statements["ManageNetworkInterfaces"]["Action"] == [
        "ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"]
    assert statements["ManageNetworkInterfaces"]["Resource"] == [{"Fn::Sub": f"{ec2}:network-interface/*"}]
    # What cannot be narrower says why, beside the statement.
    reasons = template["Resources"]["WriterPolicy"]["Metadata"]["specc"]["statement_reasons"]
    assert set(reasons) == {"DescribeNetworkInterfaces", "CreateNetworkInterfaces", "ManageNetworkInterfaces"}
    assert "subnets and the security group it may use are named" in reasons["CreateNetworkInterfaces"]
    # ENI management is Lambda's, not the handler's: it stays out of the TLS guardrail.
    assert not any(a.startswith("ec2:") for a in statements["DenyInsecureTransport"]["Action"])
    outside = {s["Sid"] for s in _props(template, "OutsidePolicy")["PolicyDocument"]["Statement"]}
    assert not outside & {"DescribeNetworkInterfaces", "CreateNetworkInterfaces", "ManageNetworkInterfaces"}


def test_flow_logs_go_to_an_encrypted_group_through_a_least_privilege_role(write_spec) -> None:
    template = _compile(write_spec, "  interface_endpoints: [sns]\n  flow_logs: {retention_days: 90}")
    group = _props(template, "FlowLogsLogGroup")
    assert group["LogGroupName"] == "/aws/vpc/vault-network-qa/flow-logs" and group["RetentionInDays"] == 90
    assert group["KmsKeyId"] == {"Fn::GetAtt": ["MainKey", "Arn"]}
    trust = _props(template, "FlowLogsRole")["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert set(trust["Condition"]) == {"StringEquals", "ArnLike"}
    [statement] = _props(template, "FlowLogsPolicy")["PolicyDocument"]["Statement"]
    assert statement["Resource"] == [{"Fn::GetAtt": ["FlowLogsLogGroup", "Arn"]}]
    logs_service = [s for s in _props(template, "MainKey")["KeyPolicy"]["Statement"]
                    if s["Sid"] == "LogsServiceUsesKey"]
    assert logs_service, "the logs service must be able to use the key of the flow log group"


def test_turning_flow_logs_off_is_recorded(write_spec) -> None:
    template = _compile(write_spec, "  interface_endpoints: [sns]\n  flow_logs: {enabled: false}")
    assert "FlowLogs" not in template["Resources"]
    metadata = template["Resources"]["Vpc"]["Metadata"]
    assert metadata["specc"]["opt_outs"] == [{"control": "flow_logs", "spec": "network.flow_logs.enabled"}]
    assert metadata["checkov"]["skip"][0]["id"] == "CKV2_AWS_11"


def test_private_functions_need_a_way_out_for_every_service_they_use(write_spec) -> None:
    from specc.language.diagnostics import SpecError

    with pytest.raises(SpecError) as raised:
        _compile(write_spec, "  gateway_endpoints: [s3]")
    problems = sorted((d.field_path, d.code) for d in raised.value.diagnostics)
    assert problems == [("functions.reader.uses.tables", "E209"), ("functions.writer.uses.tables", "E209"),
                        ("functions.writer.uses.topics", "E209")]
    # NAT carries every call out; nothing is refused then.
    assert _compile(write_spec, "  gateway_endpoints: []\n  public_subnets: true\n  nat: single")["Resources"]
