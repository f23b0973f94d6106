"""domains and api.access: custom domains (certificates, mutual TLS, records) and the API's resource policy."""

from __future__ import annotations

from specc.compiler import compile_spec

SPEC = """
specc: 1
service: pay
environment: prod
regions: [{regions}]
functions:
  app: {{handler: handlers/app.py:handler}}
routes:
  POST /payments: app
{extra}
"""
ZONE = "Z0123456789ABCDEFGHIJ"
CERT = "arn:aws:acm:{region}:111111111111:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"


def _compile(write_spec, extra: str, regions: str = "eu-west-1") -> dict:
    return compile_spec(write_spec(SPEC.format(extra=extra, regions=regions))).templates["service.json"]


def _resources(template: dict, kind: str) -> dict:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def test_a_requested_certificate_is_dns_validated_and_the_domain_is_tls_1_2_regional(write_spec) -> None:
    template = _compile(write_spec, f"domains:\n  api: {{name: api.pay.example.com, hosted_zone_id: {ZONE}}}")
    certificate = template["Resources"]["ApiCertificate"]["Properties"]
    assert certificate["ValidationMethod"] == "DNS"
    assert certificate["DomainValidationOptions"] == [{"DomainName": "api.pay.example.com", "HostedZoneId": ZONE}]
    domain = template["Resources"]["ApiDomainName"]["Properties"]
    assert domain["SecurityPolicy"] == "TLS_1_2" and domain["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert domain["RegionalCertificateArn"] == {"Ref": "ApiCertificate"}
    record = template["Resources"]["ApiDnsRecord"]["Properties"]
    assert record["Region"] == {"Ref": "AWS::Region"} and record["SetIdentifier"] == {"Ref": "AWS::Region"}
    assert record["AliasTarget"]["DNSName"] == {"Fn::GetAtt": ["ApiDomainName", "RegionalDomainName"]}
    mapping = template["Resources"]["ApiBasePathMapping"]
    assert mapping["DependsOn"] == ["ApiStage"] and "BasePath" not in mapping["Properties"]
    assert template["Outputs"]["ApiDomainUrl"]["Value"] == "https://api.pay.example.com"


def test_domains_turn_the_execute_api_url_off_and_that_redeploys(write_spec) -> None:
    plain = _compile(write_spec, "")
    with_domain = _compile(write_spec, f"domains:\n  api: {{name: api.pay.example.com, certificate: "
                                       f"'{CERT.format(region='eu-west-1')}', base_path: v1}}")
    assert "DisableExecuteApiEndpoint" not in plain["Resources"]["Api"]["Properties"]
    assert with_domain["Resources"]["Api"]["Properties"]["DisableExecuteApiEndpoint"] is True
    assert "ApiUrl" in plain["Outputs"] and "ApiUrl" not in with_domain["Outputs"]
    deployments = [{k for k, r in t["Resources"].items() if r["Type"] == "AWS::ApiGateway::Deployment"}
                   for t in (plain, with_domain)]
    assert deployments[0] != deployments[1]  # the endpoint change takes effect only with a new deployment
    assert with_domain["Resources"]["ApiBasePathMapping"]["Properties"]["BasePath"] == "v1"
    assert with_domain["Outputs"]["ApiDomainUrl"]["Value"] == "https://api.pay.example.com/v1"
    assert not _resources(with_domain, "AWS::Route53::RecordSet")  # no zone, no record


def test_explicitly_keeping_the_url_is_honoured_without_mutual_tls(write_spec) -> None:
    template = _compile(write_spec, "api: {disable_execute_api_endpoint: false}\ndomains:\n  api: "
                                    f"{{name: api.pay.example.com, certificate: '{CERT.format(region='eu-west-1')}'}}")
    assert "DisableExecuteApiEndpoint" not in template["Resources"]["Api"]["Properties"]


def test_mutual_tls_uses_the_truststore_of_each_region(write_spec) -> None:
    template = _compile(write_spec, f"""domains:
  api:
    name: api.pay.example.com
    hosted_zone_id: {ZONE}
    mutual_tls: {{truststore: "s3://trust-${{AWS::Region}}/ca.pem", version: "v7"}}""")
    domain = template["Resources"]["ApiDomainName"]["Properties"]
    assert domain["MutualTlsAuthentication"] == {"TruststoreUri": {"Fn::Sub": "s3://trust-${AWS::Region}/ca.pem"},
                                                 "TruststoreVersion": "v7"}


def test_a_certificate_per_region_comes_from_a_mapping(write_spec) -> None:
    template = _compile(write_spec, f"""domains:
  api:
    name: api.pay.example.com
    certificate:
      us-east-1: {CERT.format(region='us-east-1')}
      eu-west-1: {CERT.format(region='eu-west-1')}""", regions="us-east-1, eu-west-1")
    assert template["Mappings"]["DomainCertificates"] == {
        "eu-west-1": {"Api": CERT.format(region="eu-west-1")}, "us-east-1": {"Api": CERT.format(region="us-east-1")}}
    assert template["Resources"]["ApiDomainName"]["Properties"]["RegionalCertificateArn"] == {
        "Fn::FindInMap": ["DomainCertificates", {"Ref": "AWS::Region"}, "Api"]}
    assert not _resources(template, "AWS::CertificateManager::Certificate")


def test_source_ip_access_allows_inside_and_denies_outside(write_spec) -> None:
    template = _compile(write_spec, "api: {access: {source_ips: [198.51.100.0/24, 192.0.2.0/24]}}")
    api = template["Resources"]["Api"]["Properties"]
    assert api["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    allow, deny = api["Policy"]["Statement"]
    networks = ["192.0.2.0/24", "198.51.100.0/24"]
    assert allow == {"Sid": "AllowFromSourceIps", "Effect": "Allow", "Principal": "*",
                     "Action": ["execute-api:Invoke"], "Resource": ["execute-api:/*"],
                     "Condition": {"IpAddress": {"aws:SourceIp": networks}}}
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"NotIpAddress": {"aws:SourceIp": networks}}
    plain = _compile(write_spec, "")
    assert "Policy" not in plain["Resources"]["Api"]["Properties"]
    assert ({k for k in template["Resources"] if k.startswith("ApiDeployment")}
            != {k for k in plain["Resources"] if k.startswith("ApiDeployment")})


def test_vpc_endpoint_access_makes_the_api_private(write_spec) -> None:
    template = _compile(write_spec, """api: {access: {vpc_endpoints: [vpce-0123456789abcdef0, network]}}
network: {interface_endpoints: [execute-api], gateway_endpoints: []}""")
    api = template["Resources"]["Api"]["Properties"]
    assert api["EndpointConfiguration"] == {"Types": ["PRIVATE"]}
    allow, deny = api["Policy"]["Statement"]
    endpoints = [{"Ref": "ExecuteApiInterfaceEndpoint"}, "vpce-0123456789abcdef0"]
    assert allow["Condition"] == {"StringEquals": {"aws:SourceVpce": endpoints}}
    assert deny["Condition"] == {"StringNotEquals": {"aws:SourceVpce": endpoints}}
