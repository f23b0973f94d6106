"""`specc bootstrap`, `specc deploy` and `aws cloudformation deploy` against moto server, as users run them.

Every resource of the deployed templates is checked: created (describe_stack_resources and the services'
APIs) unless its type is in MOTO_SKIPS. Error cases give one line and exit 6, never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from specc.cli.app import main
from specc.cli.ship import EXIT_AWS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PROD = "specs/prod.yaml"
ADMIN, WORKLOADS = "123456789012", ("111111111111", "222222222222")
REGIONS = ("us-west-2", "us-east-1", "eu-west-1")  # the rollout order of specs/prod.yaml


@pytest.fixture(autouse=True)
def _at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_bootstrap_creates_an_artifact_bucket_in_every_account_and_region(aws, runner, session, deployed, services,
                                                                         template) -> None:
    result = runner.invoke(main, ["bootstrap", PROD])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(REGIONS) * 3  # the two workload accounts and the caller's own
    bootstrap = template("bootstrap.json")
    for account in (ADMIN, *WORKLOADS):
        for region in REGIONS:
            bucket = f"specc-artifacts-{account}-{region}"
            assert f"{region} {account} specc-artifacts-bootstrap: created (CREATE_COMPLETE); bucket {bucket}" in lines
            physical = deployed(session(account), region, "specc-artifacts-bootstrap", bootstrap)
            assert physical["ArtifactsBucket"] == bucket
            assert physical["ArtifactsLogBucket"] == f"specc-artifacts-logs-{account}-{region}"
            assert services(session(account), region, bootstrap, physical) == {
                "AWS::KMS::Key", "AWS::S3::Bucket"}
            rules = session(account).client("s3", region_name=region).get_bucket_encryption(Bucket=bucket)[
                "ServerSideEncryptionConfiguration"]["Rules"]
            key = rules[0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
            assert key.endswith(physical["ArtifactsKey"]), "the artifact bucket is encrypted with its own key"

    again = runner.invoke(main, ["bootstrap", PROD, "--region", "eu-west-1"])
    assert again.exit_code == 0, again.output
    assert again.stdout.count(": unchanged (CREATE_COMPLETE)") == 3


def test_deploy_creates_every_resource_then_an_unchanged_deploy_succeeds(aws, runner, session, deployed, services,
                                                                        template) -> None:
    assert runner.invoke(main, ["bootstrap", PROD, "--region", "us-east-1"]).exit_code == 0
    result = runner.invoke(main, ["deploy", PROD, "--region", "us-east-1"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"payments-prod in us-east-1 ({ADMIN}): created (CREATE_COMPLETE)\n")
    assert "  TransactionsTableName = payments-transactions-prod\n" in result.stdout  # outputs, through a change set
    # the code (one zip for the payments folder), the common layer's zip, the template
    assert "uploaded 3 new object(s) to s3://specc-artifacts-123456789012-us-east-1" in result.stderr
    service = template()
    physical = deployed(session(), "us-east-1", "payments-prod", service)
    assert services(session(), "us-east-1", service, physical) >= {
        "AWS::DynamoDB::Table", "AWS::Lambda::Function", "AWS::SQS::Queue", "AWS::SNS::Topic",
        "AWS::ApiGateway::RestApi", "AWS::KMS::Key", "AWS::Logs::LogGroup", "AWS::IAM::Role", "AWS::Lambda::Alias"}

    again = runner.invoke(main, ["deploy", PROD])  # the region from the AWS settings (AWS_DEFAULT_REGION)
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith(f"payments-prod in us-east-1 ({ADMIN}): unchanged (CREATE_COMPLETE)\n")
    assert "uploaded 0 new object(s)" in again.stderr


def test_deploy_of_a_changed_spec_updates_the_stack(aws, runner, session, project) -> None:
    spec = project()
    assert runner.invoke(main, ["bootstrap", str(spec), "--region", "eu-west-1"]).exit_code == 0
    assert runner.invoke(main, ["deploy", str(spec), "--region", "eu-west-1"]).exit_code == 0
    project(lambda text: text.replace("    memory: 512\n", "    memory: 1024\n"))
    result = runner.invoke(main, ["deploy", str(spec), "--region", "eu-west-1"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"payments-prod in eu-west-1 ({ADMIN}): updated (UPDATE_COMPLETE)\n")
    config = session().client("lambda", region_name="eu-west-1").get_function_configuration(
        FunctionName="payments-create-payment-prod")
    assert config["MemorySize"] == 1024


def test_deploy_names_the_missing_bootstrap(aws, runner) -> None:
    result = runner.invoke(main, ["deploy", PROD, "--region", "eu-west-1"])
    assert result.exit_code == EXIT_AWS
    assert result.stderr == (f"error: the artifact bucket specc-artifacts-{ADMIN}-eu-west-1 does not exist in account "
                             f"{ADMIN}, eu-west-1: run `specc bootstrap {PROD}` first\n")


def test_deploy_refuses_a_region_the_spec_does_not_list(aws, runner) -> None:
    result = runner.invoke(main, ["deploy", PROD, "--region", "ap-south-1"])
    assert result.exit_code == 2
    assert "ap-south-1 is not one of the spec's regions (us-east-1, us-west-2, eu-west-1)" in result.output


def test_awscli_deploys_the_compiled_template_and_an_unchanged_deploy_exits_0(aws, runner, session, deployed,
                                                                             tmp_path, template) -> None:
    """The path users take without specc: `aws cloudformation deploy` of the committed template."""
    assert runner.invoke(main, ["bootstrap", PROD, "--region", "us-west-2"]).exit_code == 0
    assert runner.invoke(main, ["package", PROD, "--out", str(tmp_path / "zips")]).exit_code == 0
    s3 = session().client("s3", region_name="us-west-2")
    bucket = f"specc-artifacts-{ADMIN}-us-west-2"
    for archive in (tmp_path / "zips").iterdir():
        s3.put_object(Bucket=bucket, Key=f"payments/code/{archive.name}", Body=archive.read_bytes())
    command = [str(Path(sys.executable).with_name("aws")), "cloudformation", "deploy", "--region", "us-west-2",
               "--template-file", "templates_out/prod/service.json", "--stack-name", "payments-prod",
               "--s3-bucket", bucket, "--s3-prefix", "payments/cli", "--capabilities", "CAPABILITY_IAM",
               "--no-fail-on-empty-changeset"]
    # The awscli puts its S3 endpoint into the TemplateURL, and moto reads template URLs only on `localhost`.
    env = {**os.environ, "AWS_ENDPOINT_URL": aws.endpoint}
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Successfully created/updated stack - payments-prod" in first.stdout
    deployed(session(), "us-west-2", "payments-prod", template())
    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert second.returncode == 0, second.stdout + second.stderr  # 255 on unpatched moto (test_moto_patches.py)
    assert "No changes to deploy. Stack payments-prod is up to date" in second.stdout


def test_status_says_what_is_deployed_where_and_whether_it_matches(aws, runner, project) -> None:
    spec = project()
    assert runner.invoke(main, ["bootstrap", str(spec), "--region", "us-east-1"]).exit_code == 0
    assert runner.invoke(main, ["deploy", str(spec), "--region", "us-east-1"]).exit_code == 0
    result = runner.invoke(main, ["status", str(spec), "--region", "us-east-1", "--exit-code"])
    assert result.exit_code == 0, result.output  # no stack set: deployed with `specc deploy`, which is no difference
    rows = result.stdout.splitlines()
    assert rows[0].split() == ["REGION", "ACCOUNT", "DEPLOYED", "AS", "STATUS", "TEMPLATE"]
    assert _row(rows, "us-east-1", ADMIN, "stack payments-prod") == ["CREATE_COMPLETE", "matches"]
    assert _row(rows, "us-east-1", ADMIN, "bootstrap specc-artifacts-bootstrap") == ["CREATE_COMPLETE", "matches"]
    assert _row(rows, "us-west-2", ADMIN, "stack set payments-prod") == ["-", "not", "deployed"]
    assert rows[-1] == (f"{spec}: 4 of 5 match the compiled output, 1 not deployed, no stack set (deployed with "
                        "`specc deploy`).")

    project(lambda text: text.replace("    timeout: 15\n", "    timeout: 20\n"))
    changed = runner.invoke(main, ["status", str(spec), "--region", "us-east-1", "--exit-code"])
    assert changed.exit_code == 5
    assert _row(changed.stdout.splitlines(), "us-east-1", ADMIN, "stack payments-prod") == ["CREATE_COMPLETE",
                                                                                           "differs"]


def test_deploy_and_rollout_refuse_to_deploy_one_service_twice_into_one_account_and_region(aws, runner,
                                                                                         project) -> None:
    """Both would create the same physical names: the second used to fail half-way on the first name it met."""
    spec = project(lambda text: text.replace('accounts: ["111111111111", "222222222222"]', f'accounts: ["{ADMIN}"]')
                   .replace("regions: [us-east-1, us-west-2, eu-west-1]", "regions: [us-east-1]")
                   .replace("region_order: [us-west-2, us-east-1, eu-west-1]", "region_order: [us-east-1]"))
    assert runner.invoke(main, ["bootstrap", str(spec)]).exit_code == 0
    assert runner.invoke(main, ["deploy", str(spec), "--region", "us-east-1"]).exit_code == 0
    rollout = runner.invoke(main, ["rollout", str(spec)])
    assert rollout.exit_code == EXIT_AWS, rollout.output
    assert rollout.stderr.splitlines() == [
        f"error: `specc deploy` already made the stack payments-prod in us-east-1 {ADMIN}: rolling out the stack set "
        "there would create the same physical names; deploy it one way per account and region (delete that stack "
        "first, or use another environment)"]
    assert "stack set" not in rollout.stdout  # refused before anything was created


def _row(rows: list[str], region: str, account: str, what: str) -> list[str]:
    found = [r for r in rows if r.startswith(f"{region}  {account}  {what} ")]
    assert len(found) == 1, (region, account, what, rows)
    return found[0][len(f"{region}  {account}  {what}"):].split()


def test_an_unreachable_endpoint_is_one_line(aws, runner, monkeypatch, launcher) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{launcher.free_port()}")
    result = runner.invoke(main, ["deploy", PROD, "--region", "us-east-1"])
    assert result.exit_code == EXIT_AWS
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: cannot reach http://127.0.0.1:")
    assert lines[0].endswith(": check the network, the region and AWS_ENDPOINT_URL")


def test_missing_credentials_are_one_line(aws, runner, monkeypatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = runner.invoke(main, ["status", PROD])
    assert result.exit_code == EXIT_AWS
    assert result.stderr == ("error: no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
                             "AWS_SECRET_ACCESS_KEY (or run `aws configure`)\n")


def test_an_unknown_profile_is_one_line(aws, runner) -> None:
    result = runner.invoke(main, ["bootstrap", PROD, "--profile", "nope"])
    assert result.exit_code == EXIT_AWS
    assert result.stderr == "error: AWS profile 'nope' is not in your AWS config files\n"


@pytest.fixture
def denied(launcher, use_endpoint, monkeypatch, tmp_path):
    """A moto server that enforces IAM, and the credentials of a user with no permissions."""
    import boto3

    server = launcher.start(env={"INITIAL_NO_AUTH_ACTION_COUNT": "2"}, log=tmp_path / "moto-auth.log")
    try:
        use_endpoint(server.endpoint)
        iam = boto3.client("iam")
        iam.create_user(UserName="nobody")
        key = iam.create_access_key(UserName="nobody")["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        yield server
    finally:
        server.stop()


def test_access_denied_is_one_line(denied, runner) -> None:
    result = runner.invoke(main, ["bootstrap", PROD, "--region", "us-east-1"])
    assert result.exit_code == EXIT_AWS
    assert result.stderr == ("error: access denied while assuming arn:aws:iam::111111111111:role/"
                             "AWSCloudFormationStackSetExecutionRole (sts:AssumeRole): User: "
                             "arn:aws:iam::123456789012:user/nobody is not authorized to perform: sts:AssumeRole\n")
    own = runner.invoke(main, ["status", PROD, "--region", "us-east-1", "--role-name", "x"])
    assert own.exit_code == EXIT_AWS
    assert own.stderr == ("error: access denied while describing stack payments-prod in us-east-1: User: "
                          "arn:aws:iam::123456789012:user/nobody is not authorized to perform: "
                          "cloudformation:DescribeStacks\n")
