"""A VPC for functions that must not touch the internet: private subnets over N availability zones,
restrictive network ACLs and security groups, VPC endpoints that admit exactly what the functions may do,
optional public subnets and NAT, and flow logs to an encrypted log group.

Functions opt in with `network: private`; they then run in every private subnet with the functions'
security group. Subnet CIDRs are computed from the VPC CIDR (the first half of the range holds the private
subnets, the second half the public ones, AZ by AZ), so adding an availability zone moves no subnet.
Availability zones are picked with `Fn::GetAZs` and `Fn::Select`, never by name, so one template fits
every region.

The endpoint policies are derived from the grants of the private functions (this kind is built after
`functions`, before the IAM pass): each function's role may do through an endpoint exactly what its own
policy allows on that service, on the same resources, and nothing else passes. A listed endpoint that no
private function uses admits nothing.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Annotated, Any, Literal, cast

from awacs.aws import (
    Action,
    Allow,
    ArnLike,
    Condition,
    Deny,
    PolicyDocument,
    Principal,
    Statement,
    StringEquals,
)
from awacs.sts import AssumeRole
from pydantic import Field, StringConstraints, field_validator, model_validator
from troposphere import FindInMap, GetAtt, GetAZs, Join, Ref, Select, Sub, awslambda, ec2, encode_to_dict, iam, logs

from specc.build.context import BuildContext
from specc.build.iam import Grant, use_logs_key
from specc.build.naming import camel, logical_id
from specc.build.scanners import skip
from specc.kinds.base import Attribute, Kind, NameRule
from specc.language.rollout import AccountId
from specc.language.types import RetentionDays, SpecModel

VPC_ID = "Vpc"
FUNCTIONS_SG, ENDPOINTS_SG = "FunctionsSecurityGroup", "EndpointsSecurityGroup"
FLOW_LOGS_ID, FLOW_LOGS_GROUP, FLOW_LOGS_ROLE, FLOW_LOGS_POLICY = (
    "FlowLogs", "FlowLogsLogGroup", "FlowLogsRole", "FlowLogsPolicy")
WORLD = "0.0.0.0/0"
# Replies come back to the source port the client chose: AWS Lambda functions (through their Hyperplane network
# interfaces) and NAT gateways both use 1024-65535 (VPC user guide, "Ephemeral ports").
EPHEMERAL = (1024, 65535)
# checkov's CKV_AWS_231 refuses any ingress range from 0.0.0.0/0 that contains 3389; replies need the whole range.
REPLIES_SKIP = {"id": "CKV_AWS_231", "comment": "replies to connections that functions and NAT gateways open use "
                "source ports 1024-65535, so the whole range is admitted; nothing in a specc subnet listens on 3389 "
                "(security groups admit no inbound connection from outside the VPC)"}
# Regions where new accounts get fewer than three availability zones.
AZ_COUNTS = {"us-west-1": 2}

GatewayService = Literal["s3", "dynamodb"]


def _default_gateways() -> list[GatewayService]:
    return ["dynamodb", "s3"]


# Interface endpoint service (as in com.amazonaws.<region>.<service>) -> the IAM prefix of its actions.
INTERFACE_SERVICES: dict[str, str] = {
    "ecr.api": "ecr", "ecr.dkr": "ecr", "events": "events", "execute-api": "execute-api", "kinesis-streams": "kinesis",
    "kms": "kms", "lambda": "lambda", "logs": "logs", "monitoring": "cloudwatch", "secretsmanager": "secretsmanager",
    "sns": "sns", "sqs": "sqs", "ssm": "ssm", "states": "states", "sts": "sts", "xray": "xray",
}
InterfaceService = Literal[tuple(INTERFACE_SERVICES)]  # type: ignore[valid-type]
# What Lambda does with a VPC function's role (the actions of AWSLambdaVPCAccessExecutionRole), each as narrow as
# EC2 allows: the Describe APIs take no resource; an interface may be created only in the service's private subnets
# with the functions' security group (CreateNetworkInterface is authorized on the subnet and the group too); the
# interfaces themselves are named by ID only once Lambda has made them, so the rest acts on network interfaces of
# this account and region (never on any other EC2 resource).
ENI_ACTIONS_ANYWHERE = ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets")
ENI_CREATE = ("ec2:CreateNetworkInterface",)
ENI_ACTIONS_OWN = ("ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses")
ENI_ARN = "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:network-interface/*"
ENI_REASONS = {
    "DescribeNetworkInterfaces": "EC2 Describe APIs do not support resource-level permissions",
    "CreateNetworkInterfaces": "Lambda creates the interface before it has an ID, so network-interface/* of this "
                               "account and region; the subnets and the security group it may use are named",
    "ManageNetworkInterfaces": "Lambda acts on its interfaces by an ID the template cannot know, and checks the role "
                               "without VPC or subnet in the request context (a condition on ec2:Vpc or ec2:Subnet "
                               "would fail the function's creation): network interfaces of this account and region "
                               "only, no other EC2 resource",
}


class FlowLogs(SpecModel):
    """VPC flow logs to a CloudWatch log group encrypted with the logs key."""

    enabled: bool = Field(True, description="Record the VPC's traffic. Turning it off is recorded in the template.",
                          examples=[True])
    traffic: Literal["ALL", "ACCEPT", "REJECT"] = Field("ALL", description="Which traffic is recorded.",
                                                        examples=["REJECT"])
    retention_days: RetentionDays | None = Field(None, description="Retention of the flow log group; default: "
                                                 "`defaults.log_retention_days`.", examples=[90])
    aggregation_seconds: Literal[60, 600] = Field(600, description="Longest interval a flow is aggregated over "
                                                  "before it is written.", examples=[60])


VpcId = Annotated[str, StringConstraints(pattern=r"^vpc-[0-9a-f]{8,17}$")]
SubnetId = Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]
SecurityGroupId = Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}$")]
EXISTING_MAPPING = "ExistingNetwork"  # by_region: region -> Vpc, Subnets, SecurityGroups
# by_account: one Mapping per value (a Mapping holds two levels of keys): region -> account -> the value
ACCOUNT_MAPPINGS = {"Vpc": "ExistingNetworkVpc", "Subnets": "ExistingNetworkSubnets",
                    "SecurityGroups": "ExistingNetworkSecurityGroups"}


def _unique(ids: Any) -> None:
    for field in ("subnets", "security_groups"):
        values = getattr(ids, field) or []
        if len(set(values)) != len(values):
            raise ValueError(f"{field} lists an ID twice")


class NetworkIds(SpecModel):
    """One region's VPC, subnets and security groups."""

    vpc: VpcId = Field(description="The VPC's ID.", examples=["vpc-0abc1234def567890"])
    subnets: list[SubnetId] = Field(min_length=1, max_length=16, description="Subnets the functions run in.",
                                    examples=[["subnet-0abc1234def567890", "subnet-0def1234abc567890"]])
    security_groups: list[SecurityGroupId] = Field(
        min_length=1, max_length=5, description="Security groups of the functions' network interfaces.",
        examples=[["sg-0abc1234def567890"]])

    @model_validator(mode="after")
    def _ids(self) -> NetworkIds:
        _unique(self)
        return self


class AccountNetwork(SpecModel):
    """One account's VPC made elsewhere: its IDs, or each region's (`by_region`)."""

    vpc: VpcId | None = Field(None, description="The VPC's ID.", examples=["vpc-0abc1234def567890"])
    subnets: list[SubnetId] | None = Field(
        None, min_length=1, max_length=16, description="Subnets the functions run in (private ones, in several "
        "zones).", examples=[["subnet-0abc1234def567890", "subnet-0def1234abc567890"]])
    security_groups: list[SecurityGroupId] | None = Field(
        None, min_length=1, max_length=5, description="Security groups of the functions' network interfaces.",
        examples=[["sg-0abc1234def567890"]])
    by_region: dict[str, NetworkIds] | None = Field(
        None, description="Instead of `vpc`, `subnets` and `security_groups`: each region's (a template Mapping by "
        "region). Every region has as many subnets, and as many security groups.",
        examples=[{"us-east-1": {"vpc": "vpc-0abc1234def567890", "subnets": ["subnet-0abc1234def567890"],
                                 "security_groups": ["sg-0abc1234def567890"]}}])

    @model_validator(mode="after")
    def _shape(self) -> AccountNetwork:
        _one_account(self, "(or `by_region`)")
        return self

    def all_ids(self) -> list[NetworkIds]:
        """Every region's IDs it gives (one region's, without `by_region`)."""
        if self.by_region is not None:
            return list(self.by_region.values())
        assert self.vpc is not None and self.subnets is not None and self.security_groups is not None
        return [NetworkIds(vpc=self.vpc, subnets=self.subnets, security_groups=self.security_groups)]


def _one_account(ids: AccountNetwork, alternatives: str) -> None:
    given = [f for f in ("vpc", "subnets", "security_groups") if getattr(ids, f) is not None]
    if ids.by_region is not None:
        if given:
            raise ValueError(f"`by_region` gives every region's IDs: remove `{given[0]}`")
        _same_counts(list(ids.by_region.values()), "every region of `by_region`")
        return
    missing = [f for f in ("vpc", "subnets", "security_groups") if getattr(ids, f) is None]
    if missing:
        raise ValueError(f"an existing network gives `vpc`, `subnets` and `security_groups` {alternatives}: "
                         f"add `{missing[0]}`")
    _unique(ids)


def _same_counts(ids: list[NetworkIds], where: str) -> None:
    if len({len(one.subnets) for one in ids}) > 1 or len({len(one.security_groups) for one in ids}) > 1:
        raise ValueError(f"{where} has as many subnets, and as many security groups (the functions' role names "
                         "each)")


class ExistingNetwork(AccountNetwork):
    """A VPC made elsewhere: functions with `network: private` run in these subnets with these security groups.
    Its IDs hold in one account and region: a service of several regions gives them per region (`by_region`), a
    StackSet of several accounts per account (`by_account`)."""

    by_account: dict[AccountId, AccountNetwork] | None = Field(
        None, description="Instead of the IDs or `by_region`: each account's (of `accounts`), and in a service of "
        "several regions each account's `by_region` (template Mappings by account and region, so one template "
        "serves every account). Every account and region has as many subnets, and as many security groups.",
        examples=[{"111111111111": {"vpc": "vpc-0abc1234def567890", "subnets": ["subnet-0abc1234def567890"],
                                    "security_groups": ["sg-0abc1234def567890"]}}])

    @model_validator(mode="after")
    def _shape(self) -> ExistingNetwork:
        if self.by_account is None:
            _one_account(self, "(or `by_region`, or `by_account`)")
            return self
        given = [f for f in ("vpc", "subnets", "security_groups", "by_region") if getattr(self, f) is not None]
        if given:
            raise ValueError(f"`by_account` gives every account's IDs: remove `{given[0]}`")
        _same_counts([ids for account in self.by_account.values() for ids in account.all_ids()],
                     "every account and region of `by_account`")
        return self

class NetworkSpec(SpecModel):
    """The service's VPC. Functions with `network: private` run in its private subnets."""

    existing: ExistingNetwork | None = Field(
        None, description="A VPC that exists, named by its IDs: specc creates no network, and functions with "
        "`network: private` run in its subnets (per region with `by_region`, per account with `by_account`).",
        examples=[{"vpc": "vpc-0abc1234def567890", "subnets": ["subnet-0abc1234def567890"],
                   "security_groups": ["sg-0abc1234def567890"]}])

    cidr: str = Field("10.0.0.0/16", description="The VPC's IPv4 range, a /16 to a /24.", examples=["10.20.0.0/16"])
    availability_zones: int = Field(3, ge=1, le=6, description="How many availability zones get a private (and a "
                                    "public) subnet; the zones are the region's first ones (`Fn::GetAZs`).",
                                    examples=[3])
    subnet_prefix: int | None = Field(None, ge=16, le=28, description="Prefix length of every subnet; default: the "
                                      "VPC's prefix plus 4 (a /16 gives /20 subnets), at most /28.", examples=[24])
    public_subnets: bool = Field(False, description="Public subnets (routed to an internet gateway) beside the "
                                 "private ones, for load balancers and NAT gateways. Nothing specc builds runs in "
                                 "them.", examples=[True])
    nat: Literal["none", "single", "per_az"] = Field(
        "none", description="NAT gateways that give private subnets outbound internet access: `none` (AWS services "
                            "are reached through endpoints only), `single` (one, in the first zone) or `per_az` "
                            "(one per zone). Needs `public_subnets`.", examples=["per_az"])
    gateway_endpoints: list[GatewayService] = Field(
        default_factory=_default_gateways, description="Gateway endpoints on the private route tables "
        "(free): `s3`, `dynamodb`.", examples=[["s3", "dynamodb"]])
    interface_endpoints: list[InterfaceService] = Field(  # type: ignore[valid-type]
        default_factory=list, description="Interface endpoints (private DNS, in every private subnet, behind their "
        "own security group) by service: " + ", ".join(INTERFACE_SERVICES) + ".", examples=[["sns", "logs", "kms"]])
    flow_logs: FlowLogs = Field(default_factory=FlowLogs, description="VPC flow logs.")

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value)
        except ValueError as exc:
            raise ValueError(f"'{value}' is not an IPv4 network like 10.0.0.0/16 ({exc})") from None
        if not 16 <= network.prefixlen <= 24:
            raise ValueError(f"a VPC range is a /16 to a /24, not a /{network.prefixlen}")
        return value

    @model_validator(mode="after")
    def _layout(self) -> NetworkSpec:
        prefix = self.effective_subnet_prefix()
        vpc_prefix = ipaddress.IPv4Network(self.cidr).prefixlen
        if prefix <= vpc_prefix:
            raise ValueError(f"subnet_prefix /{prefix} must be longer than the VPC's /{vpc_prefix}")
        if self.availability_zones > self.slots():
            raise ValueError(f"a /{vpc_prefix} split into /{prefix} subnets has room for {self.slots()} zones "
                             f"(half the subnets are private, half public), not {self.availability_zones}")
        if self.nat != "none" and not self.public_subnets:
            raise ValueError("NAT gateways live in public subnets: set `public_subnets: true` or `nat: none`")
        for field in ("gateway_endpoints", "interface_endpoints"):
            values = getattr(self, field)
            if len(set(values)) != len(values):
                raise ValueError(f"{field} lists a service twice")
        return self

    def effective_subnet_prefix(self) -> int:
        return self.subnet_prefix or min(ipaddress.IPv4Network(self.cidr).prefixlen + 4, 28)

    def slots(self) -> int:
        return cast(int, 2 ** (self.effective_subnet_prefix() - ipaddress.IPv4Network(self.cidr).prefixlen) // 2)

    def subnet_cidrs(self, tier: Literal["private", "public"]) -> list[str]:
        """Private subnets fill the first half of the range, public ones the second, one per zone in zone order."""
        subnets = list(ipaddress.IPv4Network(self.cidr).subnets(new_prefix=self.effective_subnet_prefix()))
        offset = 0 if tier == "private" else len(subnets) // 2
        return [str(subnets[offset + i]) for i in range(self.availability_zones)]


def private_subnet_ids(spec: NetworkSpec) -> list[Ref]:
    return [Ref(f"PrivateSubnet{i + 1}") for i in range(spec.availability_zones)]


def build(ctx: BuildContext, name: str, spec: NetworkSpec | None) -> None:
    if spec is None:
        return
    origin = ("network",)
    vpc = ec2.VPC(VPC_ID, CidrBlock=spec.cidr, EnableDnsHostnames=True, EnableDnsSupport=True)
    ctx.add(vpc, origin)
    world = bool(spec.gateway_endpoints) or spec.nat != "none"
    _private_tier(ctx, spec, world, origin)
    if spec.public_subnets:
        _public_tier(ctx, spec, origin)
    _security_groups(ctx, spec, world, origin)
    _endpoints(ctx, spec, origin)
    _flow_logs(ctx, spec, vpc, origin)
    ctx.output("VpcId", Ref(VPC_ID), "ID of the VPC")
    ctx.output("PrivateSubnetIds", Join(",", private_subnet_ids(spec)), "IDs of the private subnets")


def _zone(index: int) -> Select:
    return Select(index, GetAZs(""))


def _private_tier(ctx: BuildContext, spec: NetworkSpec, world: bool, origin: tuple[Any, ...]) -> None:
    acl_id = "PrivateNetworkAcl"
    ctx.add(ec2.NetworkAcl(acl_id, VpcId=Ref(VPC_ID)), origin)
    outside = WORLD if world else spec.cidr
    rules = [
        (100, False, spec.cidr, (443, 443)),  # callers in the VPC reach the interface endpoints
        (110, False, spec.cidr, (1024, 65535)),  # replies from inside the VPC
        (100, True, spec.cidr, (443, 443)),
        (110, True, spec.cidr, (1024, 65535)),
    ]
    if world:  # HTTPS to S3/DynamoDB (gateway endpoints route to their public ranges) and through NAT
        rules += [(120, False, outside, EPHEMERAL), (120, True, outside, (443, 443))]
    entries = _acl_entries(ctx, acl_id, "Private", rules, origin)
    if world:
        skip(entries[(120, False)], REPLIES_SKIP["id"], REPLIES_SKIP["comment"])
    for i, cidr in enumerate(spec.subnet_cidrs("private")):
        subnet_id, table_id = f"PrivateSubnet{i + 1}", f"PrivateRouteTable{i + 1}"
        ctx.add(ec2.Subnet(subnet_id, VpcId=Ref(VPC_ID), CidrBlock=cidr, AvailabilityZone=_zone(i),
                           MapPublicIpOnLaunch=False), origin)
        ctx.add(ec2.RouteTable(table_id, VpcId=Ref(VPC_ID)), origin)
        ctx.add(ec2.SubnetRouteTableAssociation(f"{subnet_id}RouteTableAssociation", SubnetId=Ref(subnet_id),
                                                RouteTableId=Ref(table_id)), origin)
        ctx.add(ec2.SubnetNetworkAclAssociation(f"{subnet_id}NetworkAclAssociation", SubnetId=Ref(subnet_id),
                                                NetworkAclId=Ref(acl_id)), origin)
        if spec.nat != "none":
            nat = f"NatGateway{i + 1 if spec.nat == 'per_az' else 1}"
            ctx.add(ec2.Route(f"{table_id}NatRoute", RouteTableId=Ref(table_id), DestinationCidrBlock=WORLD,
                              NatGatewayId=Ref(nat)), origin + ("nat",))


def _public_tier(ctx: BuildContext, spec: NetworkSpec, origin: tuple[Any, ...]) -> None:
    acl_id, table_id = "PublicNetworkAcl", "PublicRouteTable"
    ctx.add(ec2.InternetGateway("InternetGateway"), origin)
    ctx.add(ec2.VPCGatewayAttachment("InternetGatewayAttachment", VpcId=Ref(VPC_ID),
                                     InternetGatewayId=Ref("InternetGateway")), origin)
    ctx.add(ec2.RouteTable(table_id, VpcId=Ref(VPC_ID)), origin)
    ctx.add(ec2.Route("PublicDefaultRoute", RouteTableId=Ref(table_id), DestinationCidrBlock=WORLD,
                      GatewayId=Ref("InternetGateway"), DependsOn=["InternetGatewayAttachment"]), origin)
    ctx.add(ec2.NetworkAcl(acl_id, VpcId=Ref(VPC_ID)), origin)
    nat = spec.nat != "none"
    rules = [
        (100, False, WORLD, (443, 443)),  # HTTPS to load balancers, and from private subnets to NAT
        (100, True, WORLD, (443, 443)),  # HTTPS onwards through NAT
        (110, True, WORLD, (1024, 65535)),  # replies to clients and, through NAT, to the private subnets
        (110, False, WORLD if nat else spec.cidr, EPHEMERAL),  # replies from the internet (NAT) or from targets
    ]
    entries = _acl_entries(ctx, acl_id, "Public", rules, origin)
    if nat:
        skip(entries[(110, False)], REPLIES_SKIP["id"], REPLIES_SKIP["comment"])
    for i, cidr in enumerate(spec.subnet_cidrs("public")):
        subnet_id = f"PublicSubnet{i + 1}"
        ctx.add(ec2.Subnet(subnet_id, VpcId=Ref(VPC_ID), CidrBlock=cidr, AvailabilityZone=_zone(i),
                           MapPublicIpOnLaunch=False), origin)
        ctx.add(ec2.SubnetRouteTableAssociation(f"{subnet_id}RouteTableAssociation", SubnetId=Ref(subnet_id),
                                                RouteTableId=Ref(table_id)), origin)
        ctx.add(ec2.SubnetNetworkAclAssociation(f"{subnet_id}NetworkAclAssociation", SubnetId=Ref(subnet_id),
                                                NetworkAclId=Ref(acl_id)), origin)
    if nat:
        for i in range(spec.availability_zones if spec.nat == "per_az" else 1):
            eip_id, nat_id = f"NatEip{i + 1}", f"NatGateway{i + 1}"
            ctx.add(ec2.EIP(eip_id, Domain="vpc", DependsOn=["InternetGatewayAttachment"]), origin + ("nat",))
            ctx.add(ec2.NatGateway(nat_id, AllocationId=GetAtt(eip_id, "AllocationId"),
                                   SubnetId=Ref(f"PublicSubnet{i + 1}")), origin + ("nat",))


def _acl_entries(ctx: BuildContext, acl_id: str, prefix: str, rules: list[tuple[int, bool, str, tuple[int, int]]],
                 origin: tuple[Any, ...]) -> dict[tuple[int, bool], ec2.NetworkAclEntry]:
    """TCP allow rules; anything else meets the ACL's implicit deny."""
    entries = {}
    for number, egress, cidr, (low, high) in rules:
        entry = ec2.NetworkAclEntry(
            f"{prefix}NetworkAcl{'Egress' if egress else 'Ingress'}{number}",
            NetworkAclId=Ref(acl_id), RuleNumber=number, Protocol=6, RuleAction="allow", Egress=egress,
            CidrBlock=cidr, PortRange=ec2.PortRange(From=low, To=high),
        )
        entries[(number, egress)] = ctx.add(entry, origin)
    return entries


NO_TRAFFIC = ec2.SecurityGroupRule(  # an explicit rule that matches nothing, so AWS adds no allow-all egress rule
    IpProtocol="icmp", FromPort=252, ToPort=86, CidrIp="255.255.255.255/32",
    Description="Disallow all traffic (a rule that matches nothing replaces the default allow-all egress)")


def _security_groups(ctx: BuildContext, spec: NetworkSpec, world: bool, origin: tuple[Any, ...]) -> None:
    egress = []
    if spec.interface_endpoints:
        egress.append(ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=443, ToPort=443,
                                            DestinationSecurityGroupId=Ref(ENDPOINTS_SG),
                                            Description="HTTPS to the interface endpoints"))
    if world:
        through = [what for what, present in (("the S3 and DynamoDB gateway endpoints", spec.gateway_endpoints),
                                              ("NAT", spec.nat != "none")) if present]
        egress.append(ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=443, ToPort=443, CidrIp=WORLD,
                                            Description="HTTPS to " + " and ".join(through)))
    ctx.add(ec2.SecurityGroup(
        FUNCTIONS_SG,
        GroupName=ctx.physical("functions"),
        GroupDescription=f"Functions of {ctx.spec.service} ({ctx.spec.environment}): no inbound, HTTPS out only",
        VpcId=Ref(VPC_ID),
        SecurityGroupEgress=egress or [NO_TRAFFIC],
    ), origin)
    if not spec.interface_endpoints:
        return
    ctx.add(ec2.SecurityGroup(
        ENDPOINTS_SG,
        GroupName=ctx.physical("endpoints"),
        GroupDescription=f"Interface endpoints of {ctx.spec.service} ({ctx.spec.environment}): HTTPS from functions",
        VpcId=Ref(VPC_ID),
        SecurityGroupEgress=[NO_TRAFFIC],
    ), origin + ("interface_endpoints",))
    ctx.add(ec2.SecurityGroupIngress(  # its own resource: the two groups name each other
        f"{ENDPOINTS_SG}Ingress", GroupId=Ref(ENDPOINTS_SG), IpProtocol="tcp", FromPort=443, ToPort=443,
        SourceSecurityGroupId=Ref(FUNCTIONS_SG), Description="HTTPS from the service's functions",
    ), origin + ("interface_endpoints",))


def _endpoints(ctx: BuildContext, spec: NetworkSpec, origin: tuple[Any, ...]) -> None:
    tables = [Ref(f"PrivateRouteTable{i + 1}") for i in range(spec.availability_zones)]
    for service in sorted(spec.gateway_endpoints):
        ctx.add(_explain_wildcards(ec2.VPCEndpoint(
            f"{camel(service)}GatewayEndpoint", VpcId=Ref(VPC_ID), VpcEndpointType="Gateway",
            ServiceName=Sub(f"com.amazonaws.${{AWS::Region}}.{service}"), RouteTableIds=tables,
            PolicyDocument=endpoint_policy(ctx, service),
        )), origin + ("gateway_endpoints",))
    for service in sorted(spec.interface_endpoints):
        ctx.add(_explain_wildcards(ec2.VPCEndpoint(
            endpoint_id(service), VpcId=Ref(VPC_ID), VpcEndpointType="Interface",
            ServiceName=Sub(f"com.amazonaws.${{AWS::Region}}.{service}"), PrivateDnsEnabled=True,
            SubnetIds=private_subnet_ids(spec), SecurityGroupIds=[Ref(ENDPOINTS_SG)],
            PolicyDocument=endpoint_policy(ctx, INTERFACE_SERVICES[service]),
        )), origin + ("interface_endpoints",))


def _explain_wildcards(endpoint: ec2.VPCEndpoint) -> ec2.VPCEndpoint:
    """An endpoint policy repeats the private functions' grants, so an action AWS only grants on `*` (a rotation
    function's secretsmanager:GetRandomPassword) is allowed on `*` here too: the reason its role's policy records
    for cfripper's WildcardResourceRule is recorded on the endpoint as well."""
    from specc.build.iam import WILDCARD_RESOURCE_REASONS

    actions = sorted({action for statement in encode_to_dict(endpoint.PolicyDocument)["Statement"]
                      if statement["Effect"] == "Allow" and statement["Resource"] == ["*"]
                      for action in statement["Action"]})
    if actions:
        reasons = "; ".join(f"{a}: {WILDCARD_RESOURCE_REASONS[a]}" for a in actions)
        skip(endpoint, "WildcardResourceRule", f"{reasons} (AWS documents Resource \"*\" for it); the other "
             "statements name their resources, as the functions' own policies do", tool="cfripper")
    return endpoint


def endpoint_id(service: str) -> str:
    return f"{camel(service)}InterfaceEndpoint"


def private_roles(ctx: BuildContext) -> list[tuple[str, str]]:
    """(role, policy) logical IDs of the functions that run in the VPC."""
    return [(logical_id(name, "Role"), logical_id(name, "Policy"))
            for name, function in sorted(ctx.spec.functions.items())
            if getattr(function, "network", "none") == "private"]


def endpoint_policy(ctx: BuildContext, prefix: str) -> PolicyDocument:
    """Each private function's role may do through the endpoint exactly what its policy allows on the service."""
    statements = []
    for role_id, policy_id in private_roles(ctx):
        by_resources: dict[str, tuple[list[Any], set[str]]] = {}
        for grant in ctx.grants.get((role_id, policy_id), []):
            actions = {a for a in grant.actions if a.split(":", 1)[0] == prefix}
            if grant.deny or not actions:
                continue
            key = json.dumps([_plain(r) for r in grant.resources], sort_keys=True)
            by_resources.setdefault(key, (list(grant.resources), set()))[1].update(actions)
        for index, key in enumerate(sorted(by_resources)):
            resources, actions = by_resources[key]
            statements.append(Statement(
                Sid=f"{role_id}{index + 1}", Effect=Allow, Principal=Principal("AWS", GetAtt(role_id, "Arn")),
                Action=[Action(*a.split(":", 1)) for a in sorted(actions)], Resource=resources))
    if not statements:
        statements.append(Statement(Sid="NoFunctionUsesThisService", Effect=Deny, Principal=Principal("*"),
                                    Action=[Action("*")], Resource=["*"]))
    return PolicyDocument(Version="2012-10-17", Statement=statements)


def _plain(value: Any) -> Any:
    return value.to_dict() if hasattr(value, "to_dict") else value


def _flow_logs(ctx: BuildContext, spec: NetworkSpec, vpc: ec2.VPC, origin: tuple[Any, ...]) -> None:
    settings = spec.flow_logs
    if not settings.enabled:
        ctx.opt_out(vpc, "flow_logs", origin + ("flow_logs", "enabled"))
        skip(vpc, "CKV2_AWS_11", "flow logs turned off in the spec (network.flow_logs.enabled: false)")
        return
    origin = origin + ("flow_logs",)
    logs_key = ctx.logs_key()
    ctx.add(logs.LogGroup(
        FLOW_LOGS_GROUP,
        LogGroupName=flow_log_group_name(ctx.spec),
        RetentionInDays=settings.retention_days or ctx.spec.defaults.log_retention_days,
        KmsKeyId=GetAtt(logical_id(logs_key, "Key"), "Arn"),
    ), origin)
    use_logs_key(ctx, logs_key, flow_log_group_name(ctx.spec))
    ctx.add(_flow_logs_role(), origin)
    ctx.grant(FLOW_LOGS_ROLE, FLOW_LOGS_POLICY, [
        Grant(sid="WriteFlowLogs", actions=("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"),
              resources=(GetAtt(FLOW_LOGS_GROUP, "Arn"),)),
    ])
    ctx.add(ec2.FlowLog(
        FLOW_LOGS_ID,
        ResourceType="VPC",
        ResourceId=Ref(VPC_ID),
        TrafficType=settings.traffic,
        LogDestinationType="cloud-watch-logs",
        LogGroupName=Ref(FLOW_LOGS_GROUP),
        DeliverLogsPermissionArn=GetAtt(FLOW_LOGS_ROLE, "Arn"),
        MaxAggregationInterval=settings.aggregation_seconds,
        DependsOn=[FLOW_LOGS_POLICY],
    ), origin)


def _flow_logs_role() -> iam.Role:
    return iam.Role(
        FLOW_LOGS_ROLE,
        Description="Lets VPC Flow Logs of this account and region write the flow log group",
        AssumeRolePolicyDocument=PolicyDocument(Version="2012-10-17", Statement=[Statement(
            Effect=Allow, Principal=Principal("Service", "vpc-flow-logs.amazonaws.com"), Action=[AssumeRole],
            Condition=Condition([
                StringEquals("aws:SourceAccount", Ref("AWS::AccountId")),
                ArnLike("aws:SourceArn", Sub("arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:"
                                             "vpc-flow-log/*")),
            ]))]),
    )


def flow_log_group_name(spec: Any) -> str:
    return f"/aws/vpc/{spec.physical('network')}/flow-logs"


def function_vpc(ctx: BuildContext) -> tuple[Any, list[Grant]]:
    """What a `network: private` function gets: its VpcConfig, and the ENI permissions Lambda needs in its role."""
    ec2_arn = "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}"
    given: ExistingNetwork | None = ctx.spec.network.existing
    mapped = _existing_mapping(ctx) if given is not None else None
    if mapped is not None:  # each region's (account's) IDs, from the template's Mappings
        config = awslambda.VPCConfig(SubnetIds=_mapped(ctx, "Subnets"), SecurityGroupIds=_mapped(ctx, "SecurityGroups"))
        subnets = [Sub(f"{ec2_arn}:subnet/${{id}}", id=Select(i, _mapped(ctx, "Subnets")))
                   for i in range(len(mapped[0].subnets))]
        groups = [Sub(f"{ec2_arn}:security-group/${{id}}", id=Select(i, _mapped(ctx, "SecurityGroups")))
                  for i in range(len(mapped[0].security_groups))]
    elif given is not None:  # an existing VPC: its subnets and security groups, by ID
        assert given.subnets is not None and given.security_groups is not None  # the model requires them
        config = awslambda.VPCConfig(SubnetIds=list(given.subnets), SecurityGroupIds=list(given.security_groups))
        subnets = [Sub(f"{ec2_arn}:subnet/{subnet}") for subnet in given.subnets]
        groups = [Sub(f"{ec2_arn}:security-group/{group}") for group in given.security_groups]
    else:
        config = awslambda.VPCConfig(SubnetIds=private_subnet_ids(ctx.spec.network),
                                     SecurityGroupIds=[Ref(FUNCTIONS_SG)])
        subnets = [Sub(f"{ec2_arn}:subnet/${{{subnet.data['Ref']}}}")
                   for subnet in private_subnet_ids(ctx.spec.network)]
        groups = [Sub(f"{ec2_arn}:security-group/${{{FUNCTIONS_SG}}}")]
    return config, [
        Grant(sid="DescribeNetworkInterfaces", actions=ENI_ACTIONS_ANYWHERE, resources=("*",),
              reason=ENI_REASONS["DescribeNetworkInterfaces"]),
        Grant(sid="CreateNetworkInterfaces", actions=ENI_CREATE, resources=(Sub(ENI_ARN), *subnets, *groups),
              reason=ENI_REASONS["CreateNetworkInterfaces"]),
        Grant(sid="ManageNetworkInterfaces", actions=ENI_ACTIONS_OWN, resources=(Sub(ENI_ARN),),
              reason=ENI_REASONS["ManageNetworkInterfaces"]),
    ]


def _existing_mapping(ctx: BuildContext) -> list[NetworkIds] | None:
    """The template's Mappings of the existing VPC's IDs (written once), and those IDs in key order; None when the
    IDs are given once (one account, one region), and written in the template as they are."""
    given: ExistingNetwork = ctx.spec.network.existing
    if given.by_account is not None:
        # region -> account: a Mapping's second-level keys are alphanumeric (cfn-lint E7001), as account IDs are
        per_region: dict[str, dict[str, NetworkIds]] = {}
        for account, ids in sorted(given.by_account.items()):
            for region, region_ids in _by_region(ctx.spec, ids).items():
                per_region.setdefault(region, {})[account] = region_ids
        for what, field in (("Vpc", "vpc"), ("Subnets", "subnets"), ("SecurityGroups", "security_groups")):
            ctx.template.mappings[ACCOUNT_MAPPINGS[what]] = {
                region: {account: _value(getattr(ids, field)) for account, ids in sorted(accounts.items())}
                for region, accounts in sorted(per_region.items())}
        return [ids for _, accounts in sorted(per_region.items()) for _, ids in sorted(accounts.items())]
    if given.by_region is not None:
        ctx.template.mappings[EXISTING_MAPPING] = {
            region: {"SecurityGroups": list(ids.security_groups), "Subnets": list(ids.subnets), "Vpc": ids.vpc}
            for region, ids in sorted(given.by_region.items())}
        return [given.by_region[region] for region in sorted(given.by_region)]
    return None


def _by_region(spec: Any, ids: AccountNetwork) -> dict[str, NetworkIds]:
    """One account's IDs by region: given so, or the IDs of a service of one region (checks/existing.py refuses
    them in a service of several)."""
    return dict(ids.by_region) if ids.by_region is not None else {spec.regions[0]: ids.all_ids()[0]}


def _value(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _mapped(ctx: BuildContext, what: str) -> FindInMap:
    """This stack's value from the Mappings: by region, or by account and region."""
    if ctx.spec.network.existing.by_account is not None:
        return FindInMap(ACCOUNT_MAPPINGS[what], Ref("AWS::Region"), Ref("AWS::AccountId"))
    return FindInMap(EXISTING_MAPPING, Ref("AWS::Region"), what)


def existing_vpc(ctx: BuildContext) -> Any:
    """The existing VPC's ID: given, or this region's (account's) from the Mappings."""
    if _existing_mapping(ctx) is not None:
        return _mapped(ctx, "Vpc")
    return ctx.spec.network.existing.vpc


def _first_group(ctx: BuildContext) -> Any:
    if _existing_mapping(ctx) is not None:
        return Select(0, _mapped(ctx, "SecurityGroups"))
    given: ExistingNetwork = ctx.spec.network.existing
    assert given.security_groups is not None
    return given.security_groups[0]


def names(spec: Any, name: str, entry: NetworkSpec | None) -> list[NameRule]:
    if entry is None or entry.existing is not None:
        return []
    return [NameRule("security group name", spec.physical("functions"), 255),
            NameRule("security group name", spec.physical("endpoints"), 255),
            NameRule("log group name", flow_log_group_name(spec), 512, r"^[A-Za-z0-9_./#-]+$")]


KIND = Kind(
    section="network",
    singular="network",
    model=NetworkSpec,
    description="A VPC over several availability zones (private and optional public subnets, network ACLs, "
                "security groups, NAT, VPC endpoints, flow logs) for functions with `network: private`.",
    build=build,
    keyed=False,
    names=names,
    attributes={  # `${network.vpc.id}`
        "vpc.id": Attribute("ID of the VPC", lambda ctx, _: (existing_vpc(ctx) if ctx.spec.network.existing
                                                             else Ref(VPC_ID))),
        "vpc.arn": Attribute("ARN of the VPC", lambda ctx, _: Sub(
            "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc/${id}",
            id=existing_vpc(ctx) if ctx.spec.network.existing else Ref(VPC_ID))),
        "functions_security_group.id": Attribute(
            "ID of the security group of the functions' network interfaces (the first given, for an existing VPC)",
            lambda ctx, _: (_first_group(ctx) if ctx.spec.network.existing else Ref(FUNCTIONS_SG)))},
)
