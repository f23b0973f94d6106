"""`specc invoke`, `logs` and `destroy` without AWS: refusals before any call, option parsing, deploy's advice for
a stack left ROLLBACK_COMPLETE. Their AWS paths are tested on moto server in tests/deploy/test_inner_loop.py."""

from __future__ import annotations

from typing import Any

import click
import pytest

from specc.aws import stacks
from specc.aws.session import AwsError
from specc.cli.app import main
from specc.cli.local import since_milliseconds


def test_destroy_off_a_terminal_without_yes_refuses_in_one_line(runner, write_spec, minimal_spec) -> None:
    spec = write_spec(minimal_spec)
    result = runner.invoke(main, ["destroy", str(spec)])
    assert result.exit_code == 2
    assert result.stderr == (f"error: {spec}: `specc destroy` deletes what it finds without undo: not at a terminal, "
                             "so pass --yes to confirm; nothing was changed.\n")


def test_invoke_names_the_closest_function(runner, write_spec, minimal_spec) -> None:
    spec = write_spec(minimal_spec)
    result = runner.invoke(main, ["invoke", str(spec), "greeet"])
    assert result.exit_code == 2
    assert "greeet is not a function of the spec (its functions: greet); did you mean greet?" in result.stderr


def test_logs_refuses_a_since_it_cannot_read(runner, write_spec, minimal_spec) -> None:
    spec = write_spec(minimal_spec)
    result = runner.invoke(main, ["logs", str(spec), "greet", "--since", "yesterday"])
    assert result.exit_code == 2
    assert "'yesterday' is neither a duration (30s, 10m, 2h, 1d, 1w) nor an ISO 8601 time" in result.stderr


@pytest.mark.parametrize(("text", "expected"), [("30s", 970_000), ("10m", 400_000), ("1h", -2_600_000),
                                                ("1970-01-01T00:16:40Z", 1_000_000),
                                                ("1970-01-01T00:16:40", 1_000_000)])
def test_since_is_a_duration_ago_or_a_time(text: str, expected: int) -> None:
    assert since_milliseconds(text, now=1000.0) == expected


def test_since_rejects_other_text() -> None:
    with pytest.raises(click.BadParameter):
        since_milliseconds("10 minutes")


class _RolledBack:
    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {"Stacks": [{"StackName": StackName, "StackStatus": "ROLLBACK_COMPLETE"}]}


class _Aws:
    def client(self, service: str, region: str) -> Any:
        return _RolledBack()


def test_a_stack_left_rollback_complete_is_to_be_destroyed_with_specc() -> None:
    """moto never leaves a stack ROLLBACK_COMPLETE (a failed creation stays REVIEW_IN_PROGRESS there), so this
    path of deploy is shown with a stand-in CloudFormation."""
    with pytest.raises(AwsError) as raised:
        stacks.plan(_Aws(), "svc-prod", "eu-west-1", template_body="{}",  # type: ignore[arg-type]
                    destroy_command="specc destroy specs/svc.yaml --region eu-west-1")
    assert str(raised.value) == ("stack svc-prod in eu-west-1 is ROLLBACK_COMPLETE after a failed creation and cannot "
                                 "be updated: delete it (`specc destroy specs/svc.yaml --region eu-west-1`) and deploy "
                                 "again")
