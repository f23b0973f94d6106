"""The AWS commands' pieces that need no AWS: progress display (bar on a terminal, lines otherwise, NO_COLOR),
error wording, intrinsic resolution of stackset.json, which instances are missing, the status table.
The commands themselves run against moto server in tests/deploy/."""

from __future__ import annotations

import click
import pytest
from botocore.exceptions import ClientError

from specc.aws import stacksets, status
from specc.aws.session import Aws, describe_client_error
from specc.aws.stacksets import Instance
from specc.cli import report
from specc.cli import ship as cli_aws


def _terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "interactive", lambda stream=None: True)
    monkeypatch.setattr(click._termui_impl, "isatty", lambda stream: True)


def _follow(instances: list[Instance]) -> None:
    with cli_aws.InstanceProgress(len({(i.region, i.account) for i in instances})) as progress:
        for instance in instances:
            progress(instance)


ROLLOUT = [Instance("us-west-2", "111111111111", "OUTDATED", "RUNNING"),
           Instance("us-west-2", "111111111111", "CURRENT", "SUCCEEDED"),
           Instance("eu-west-1", "111111111111", "OUTDATED", "FAILED", "Table already exists: t")]


def test_rollout_progress_is_a_line_per_change_when_no_one_watches(capsys) -> None:
    _follow(ROLLOUT)
    assert capsys.readouterr().err.splitlines() == [
        "  us-west-2 111111111111 RUNNING", "  us-west-2 111111111111 SUCCEEDED",
        "  eu-west-1 111111111111 FAILED: Table already exists: t"]


def test_rollout_progress_is_a_bar_on_a_terminal_with_failures_still_named(monkeypatch, capsys) -> None:
    _terminal(monkeypatch)
    monkeypatch.setenv("NO_COLOR", "1")
    _follow(ROLLOUT)
    err = capsys.readouterr().err
    assert "rollout  [####################################]  100%" in err
    assert "  eu-west-1 111111111111 FAILED: Table already exists: t" in err
    assert "RUNNING" not in err  # a bar, not lines
    assert "\x1b[3" not in err  # no colour codes with NO_COLOR (the bar's own cursor codes aside)


def test_rollout_progress_colours_states_only_without_no_color(monkeypatch, capsys) -> None:
    _terminal(monkeypatch)
    monkeypatch.delenv("NO_COLOR", raising=False)
    _follow(ROLLOUT[2:])
    err = capsys.readouterr().err
    assert click.style("FAILED", fg="red", bold=True) in err


def test_stack_events_show_failures_with_their_reason(capsys) -> None:
    with cli_aws.StackEvents("deploy", "payments-prod", 3) as events:
        events({"LogicalResourceId": "Table", "ResourceStatus": "CREATE_COMPLETE"})
        events({"LogicalResourceId": "Queue", "ResourceStatus": "CREATE_FAILED", "ResourceStatusReason": "quota"})
        events({"LogicalResourceId": "payments-prod", "ResourceStatus": "ROLLBACK_IN_PROGRESS"})
    assert capsys.readouterr().err == "  Queue CREATE_FAILED: quota\n"


def _client_error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "DescribeStacks")


def test_aws_refusals_read_as_one_line() -> None:
    assert describe_client_error(_client_error("AccessDenied", "no"), "describing x") == \
        "access denied while describing x: no"
    assert describe_client_error(_client_error("InvalidClientTokenId", "bad token"), "describing x") == \
        "AWS rejected the credentials (InvalidClientTokenId) while describing x: bad token"
    assert describe_client_error(_client_error("Throttling", "slow down"), "describing x") == \
        "Throttling while describing x: slow down"


class _Endpoint:
    def __init__(self, url: str) -> None:
        self.meta = type("Meta", (), {"endpoint_url": url})()


@pytest.mark.parametrize("url, expected", [
    ("https://s3.us-east-1.amazonaws.com", None),
    ("https://s3.cn-north-1.amazonaws.com.cn", None),
    ("http://127.0.0.1:5000", "http://localhost:5000"),
    ("http://localhost:5000/", "http://localhost:5000"),
])
def test_the_emulator_endpoint_is_what_cloudformation_can_read(url: str, expected: str | None) -> None:
    aws = Aws(session=None, default_region="us-east-1")  # type: ignore[arg-type]
    aws._clients[("s3", "us-east-1")] = _Endpoint(url)
    assert aws.emulator_endpoint("us-east-1") == expected


def test_stackset_properties_resolve_for_one_account_and_region() -> None:
    template = {"Resources": {"StackSet": {"Properties": {
        "Accounts": [{"Ref": "AWS::AccountId"}],
        "TemplateURL": {"Fn::If": ["HasArtifactsEndpoint", {"Fn::Sub": "${ArtifactsEndpoint}/b-${AWS::Region}/k"},
                                   {"Fn::Sub": "https://b-${AWS::AccountId}.s3.${AWS::Region}.${AWS::URLSuffix}/k"}]},
    }}}}
    values = {"AWS::AccountId": "123456789012", "AWS::Region": "eu-west-1", "AWS::URLSuffix": "amazonaws.com",
              "ArtifactsEndpoint": ""}
    properties = template["Resources"]["StackSet"]["Properties"]
    assert stacksets.resolve(properties, values, {"HasArtifactsEndpoint": False}) == {
        "Accounts": ["123456789012"], "TemplateURL": "https://b-123456789012.s3.eu-west-1.amazonaws.com/k"}
    local = {**values, "ArtifactsEndpoint": "http://localhost:5000"}
    assert stacksets.resolve(properties, local, {"HasArtifactsEndpoint": True})["TemplateURL"] == \
        "http://localhost:5000/b-eu-west-1/k"


def test_only_missing_instances_are_created() -> None:
    targets = {"Accounts": ["1", "2"]}
    assert stacksets._missing(targets, ["a", "b"], set()) == (["a", "b"], ["1", "2"])
    assert stacksets._missing(targets, ["a", "b"], {("1", "a"), ("2", "a")}) == (["b"], ["1", "2"])
    assert stacksets._missing(targets, ["a", "b"], {("1", "a"), ("2", "a"), ("1", "b")}) == (["b"], ["2"])
    assert stacksets._missing(targets, ["a"], {("1", "a"), ("2", "a")}) == ([], [])
    units = {"OrganizationalUnitIds": ["ou-ab12-cd34ef56"]}
    assert stacksets._missing(units, ["a", "b"], {("9", "a")}) == (["b"], [])


def test_canonical_sha256_does_not_depend_on_how_aws_returns_the_template() -> None:
    as_text = '{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}'
    assert stacksets.canonical_sha256(as_text) == stacksets.canonical_sha256({"Resources": {"Q": {
        "Type": "AWS::SQS::Queue"}}})
    assert stacksets.canonical_sha256("Resources: {}") != stacksets.canonical_sha256("Resources: {Q: 1}")


def test_status_table_and_summary() -> None:
    rows = [status.Row("us-east-1", "123456789012", "stack payments-prod", "CREATE_COMPLETE", status.MATCHES),
            status.Row("eu-west-1", "123456789012", "stack payments-prod", "-", status.MISSING),
            status.Row("eu-west-1", "111111111111", "instance", "OUTDATED", status.OUTDATED)]
    assert status.render(rows).splitlines() == [
        "REGION     ACCOUNT       DEPLOYED AS          STATUS           TEMPLATE",
        "us-east-1  123456789012  stack payments-prod  CREATE_COMPLETE  matches",
        "eu-west-1  123456789012  stack payments-prod  -                not deployed",
        "eu-west-1  111111111111  instance             OUTDATED         outdated"]
    assert status.summary(rows) == "1 of 3 match the compiled output, 1 outdated, 1 not deployed"
