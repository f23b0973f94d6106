"""The local half of `make run`: ship specs/prod.yaml to moto server the ways users ship it, then check it.

Called by scripts/run-local.sh, which starts moto server (scripts/moto_server.py), sets dummy credentials
and AWS_ENDPOINT_URL, and stops the server by its PID. Every step is a command users run (`specc ...`,
`aws ...`); the checks then ask each service's own API, in every region and account, for the tables,
functions, queues, topics and REST API the template declares. Then an update: a copy of the spec with one
more function, table and route is deployed and rolled out again, and checked the same way (plus the data
key's policy, which names the new function's role). Exits non-zero at the first failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import moto_server

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SPEC = "specs/prod.yaml"
TEMPLATE = REPO / "templates_out" / "prod" / "service.json"
ADMIN = "123456789012"  # moto's account for the dummy credentials: the administrator account here
AWSCLI_REGION, SPECC_REGION = "us-east-1", "eu-west-1"  # the two direct deployments into the admin account
CHECKED = {"AWS::DynamoDB::Table": "tables", "AWS::Lambda::Function": "functions", "AWS::SQS::Queue": "queues",
           "AWS::SNS::Topic": "topics", "AWS::ApiGateway::RestApi": "REST API"}


def say(text: str) -> None:
    print(f"run-local: {text}", flush=True)


def run(*command: str, ok: tuple[int, ...] = (0,)) -> str:
    """Run a command as a user would, echoing it and its output; stop on an unexpected exit code."""
    print(f"$ {' '.join(command)}", flush=True)
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    for text in (done.stderr, done.stdout):  # progress first, then results (as on a terminal)
        sys.stdout.write(text if not text or text.endswith("\n") else text + "\n")
    sys.stdout.flush()
    if done.returncode not in ok:
        say(f"FAILED: `{' '.join(command)}` exited {done.returncode}")
        sys.exit(1)
    return done.stdout


def session(account: str) -> boto3.Session:
    if account == ADMIN:
        return boto3.Session()
    credentials = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/AWSCloudFormationStackSetExecutionRole",
        RoleSessionName="run-local")["Credentials"]
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"])


def expected(template: dict[str, Any]) -> dict[str, list[str]]:
    """The physical names the template gives each checked resource type."""
    names: dict[str, list[str]] = {kind: [] for kind in CHECKED}
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        name = {"AWS::DynamoDB::Table": "TableName", "AWS::Lambda::Function": "FunctionName",
                "AWS::SQS::Queue": "QueueName", "AWS::SNS::Topic": "TopicName",
                "AWS::ApiGateway::RestApi": "Name"}.get(resource["Type"])
        if name:
            names[resource["Type"]].append(properties[name])
    return names


def missing_in(account: str, region: str, names: dict[str, list[str]]) -> list[str]:
    """What the service APIs do not find in one account and region (empty when everything is there)."""
    aws = session(account)
    gone = []
    tables = aws.client("dynamodb", region_name=region).list_tables()["TableNames"]
    functions = {f["FunctionName"] for f in aws.client("lambda", region_name=region).list_functions()["Functions"]}
    queues = {u.rsplit("/", 1)[-1] for u in aws.client("sqs", region_name=region).list_queues().get("QueueUrls", [])}
    topics = {t["TopicArn"].rsplit(":", 1)[-1] for t in aws.client("sns", region_name=region).list_topics()["Topics"]}
    gateway = aws.client("apigateway", region_name=region)
    apis = {api["name"]: api["id"] for api in gateway.get_rest_apis()["items"]}
    found = {"AWS::DynamoDB::Table": set(tables), "AWS::Lambda::Function": functions, "AWS::SQS::Queue": queues,
             "AWS::SNS::Topic": topics, "AWS::ApiGateway::RestApi": set(apis)}
    for kind, wanted in names.items():
        gone += [f"{CHECKED[kind]} {name}" for name in wanted if name not in found[kind]]
    for name in names["AWS::ApiGateway::RestApi"]:
        if name in apis and not any(r.get("resourceMethods") for r in gateway.get_resources(restApiId=apis[name])[
                "items"]):
            gone.append(f"the methods of REST API {name}")
    return gone


def main() -> None:
    started = time.monotonic()
    port = int(os.environ["AWS_ENDPOINT_URL"].rsplit(":", 1)[-1])
    if not moto_server.wait_until_ready(port):
        say(f"moto server did not answer on 127.0.0.1:{port}")
        sys.exit(1)
    specc, aws = str(BIN / "specc"), str(BIN / "aws")
    spec = json.loads((REPO / "templates_out" / "prod" / "stackset.json").read_text())["Resources"]["StackSet"][
        "Properties"]
    accounts = spec["StackInstancesGroup"][0]["DeploymentTargets"]["Accounts"]
    regions = spec["OperationPreferences"]["RegionOrder"]

    bootstrap = run(specc, "bootstrap", SPEC)

    bucket = f"specc-artifacts-{ADMIN}-{AWSCLI_REGION}"
    with tempfile.TemporaryDirectory() as zips:
        run(specc, "package", SPEC, "--out", zips)
        run(aws, "s3", "cp", zips, f"s3://{bucket}/payments/code/", "--recursive", "--region", AWSCLI_REGION)
    deploy = [aws, "cloudformation", "deploy", "--template-file", str(TEMPLATE.relative_to(REPO)),
              "--stack-name", "payments-prod", "--s3-bucket", bucket, "--s3-prefix", "payments/cli",
              "--capabilities", "CAPABILITY_IAM", "--region", AWSCLI_REGION, "--no-fail-on-empty-changeset"]
    first_cli, second_cli = run(*deploy), run(*deploy)

    first, second = run(specc, "deploy", SPEC, "--region", SPECC_REGION), run(specc, "deploy", SPEC, "--region",
                                                                              SPECC_REGION)
    rollout = run(specc, "rollout", SPEC)
    run(specc, "status", SPEC)

    template = json.loads(TEMPLATE.read_text())
    names = expected(template)
    places = [(a, r) for a in accounts for r in regions] + [(ADMIN, AWSCLI_REGION), (ADMIN, SPECC_REGION)]
    problems = {place: missing_in(*place, names) for place in places}
    skipped = Counter(r["Type"] for r in template["Resources"].values() if r["Type"] in SKIPPED)

    say(f"moto server on 127.0.0.1:{port}, admin account {ADMIN}, workload accounts {', '.join(accounts)}")
    say(f"bootstrap: {len(bootstrap.splitlines())} artifact buckets (every region x the workload and admin "
        "accounts)")
    say(f"aws cloudformation deploy ({AWSCLI_REGION}): {_last(first_cli)} | again: {_last(second_cli)}")
    say(f"specc deploy ({SPECC_REGION}): {first.splitlines()[0]} | again: {second.splitlines()[0]}")
    instances = [line.split() for line in rollout.splitlines()[1:]]
    say(f"{rollout.splitlines()[0]}; {sum(1 for i in instances if i[-1] == 'SUCCEEDED')} SUCCEEDED "
        f"({len(regions)} regions x {len(accounts)} accounts)")
    counts = ", ".join(f"{len(v)} {CHECKED[k]}" for k, v in names.items())
    bad = {place: gone for place, gone in problems.items() if gone}
    say(f"service APIs: {counts} found in each of {len(places) - len(bad)} of {len(places)} account/region "
        "deployments")
    for (account, region), gone in sorted(bad.items()):
        say(f"MISSING in {account} {region}: {', '.join(gone)}")
    say("not created by the emulator (moto skips these types; the stacks still complete): "
        + ", ".join(f"{count} {kind.split('::', 1)[1]}" for kind, count in sorted(skipped.items())))
    if bad:
        say(f"FAILED in {time.monotonic() - started:.1f} s")
        sys.exit(1)
    with tempfile.TemporaryDirectory() as work:
        bad = update(specc, Path(work), [(a, r) for a in accounts for r in regions] + [(ADMIN, SPECC_REGION)])
    say(f"{'FAILED' if bad else 'ok'} in {time.monotonic() - started:.1f} s")
    sys.exit(1 if bad else 0)


PROBE = "refund_payment"  # what the update adds: a function, the table it writes, the route to it


def changed_spec(work: Path) -> Path:
    """specs/prod.yaml with one more table, one more function that writes it, one more route to that function,
    in a copy of the project (specc packages code only from the spec's own project)."""
    shutil.copytree(REPO / "handlers", work / "handlers", ignore=shutil.ignore_patterns("__pycache__", "tests"))
    spec = yaml.safe_load((REPO / SPEC).read_text())
    spec["tables"][PROBE.replace("_payment", "s")] = {"partition_key": {"name": "refund_id", "type": "S"}}
    spec["functions"][PROBE] = {"handler": "handlers/payments/settle.py:handler",
                                "uses": {"tables": {"refunds": "write", "transactions": "read"}}}
    spec["routes"]["POST /payments/{payment_id}/refund"] = {"function": PROBE, "api_key": True}
    path = work / SPEC
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def update(specc: str, work: Path, places: list[tuple[str, str]]) -> bool:
    """Deploy and roll out the changed spec; True when a service API misses something afterwards."""
    spec = str(changed_spec(work))
    deployed = run(specc, "deploy", spec, "--region", SPECC_REGION)
    rollout = run(specc, "rollout", spec)
    status = run(specc, "status", spec)  # the us-east-1 stack still runs the first template: it differs
    from specc.compiler import compile_spec

    template = json.loads(json.dumps(compile_spec(Path(spec)).templates["service.json"]))
    names = expected(template)
    problems = {place: missing_in(*place, names) + update_missing_in(*place) for place in places}
    if " drifted" in status or "MISSING" in status:
        problems[("status", "")] = ["`specc status` reports a drifted stack"]
    bad = {place: gone for place, gone in problems.items() if gone}
    say(f"update (one more function, table and route): specc deploy ({SPECC_REGION}): {deployed.splitlines()[0]}")
    instances = [line.split() for line in rollout.splitlines()[1:]]
    say(f"update: {rollout.splitlines()[0]}; {sum(1 for i in instances if i[-1] == 'SUCCEEDED')} SUCCEEDED")
    say(f"update: status: {status.splitlines()[-1]} (what differs: the {AWSCLI_REGION} stack the awscli made, still "
        "on the first template; nothing drifted)")
    say(f"update: service APIs: {', '.join(f'{len(v)} {CHECKED[k]}' for k, v in names.items())}, the refund "
        f"route and the data key's policy naming the new role, in {len(places) - len(bad)} of {len(places)} "
        "account/region deployments")
    for (account, region), gone in sorted(bad.items()):
        say(f"MISSING after the update in {account} {region}: {', '.join(gone)}")
    return bool(bad)


def update_missing_in(account: str, region: str) -> list[str]:
    """What the update added that the service APIs do not show: the route, the new role in the data key policy."""
    aws = session(account)
    gone = []
    gateway = aws.client("apigateway", region_name=region)
    api = next(a["id"] for a in gateway.get_rest_apis()["items"] if a["name"] == "payments-api-prod")
    if "/payments/{payment_id}/refund" not in {r["path"] for r in gateway.get_resources(restApiId=api)["items"]}:
        gone.append("the route POST /payments/{payment_id}/refund")
    kms = aws.client("kms", region_name=region)
    key = kms.describe_key(KeyId="alias/payments-data-prod")["KeyMetadata"]["KeyId"]
    policy = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    if "refundpayment" not in policy.lower().replace("-", "").replace("_", ""):  # the role's ARN or name
        gone.append("the new function's role in the data key policy")
    return gone


def _last(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else ""


# The types moto accepts and skips (tests/deploy/conftest.py keeps the asserted list): reported, not hidden.
SKIPPED = {"AWS::ApiGateway::Account", "AWS::ApiGateway::ApiKey", "AWS::ApiGateway::Stage",
           "AWS::ApiGateway::UsagePlan", "AWS::ApiGateway::UsagePlanKey", "AWS::CloudWatch::Alarm",
           "AWS::Lambda::EventInvokeConfig", "AWS::S3::BucketPolicy", "AWS::SNS::Subscription",
           "AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy"}


if __name__ == "__main__":
    main()
