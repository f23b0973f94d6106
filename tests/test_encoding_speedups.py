"""The speed-ups of encoding and IAM keep troposphere's validation and never merge statements that differ."""

from __future__ import annotations

import pytest
from awacs.aws import Bool
from troposphere import GetAtt, Ref, Sub, Template, awslambda, cloudwatch

from specc.build.iam import Grant, _document, _grant_key
from specc.build.template_dict import encode, template_dict


def _function_without_code_or_role() -> object:
    return awslambda.Function("Fn", Handler="app.handler", Runtime="python3.12")  # Code and Role are required


def _alarm_with_both_statistics() -> object:
    return cloudwatch.Alarm("A", ComparisonOperator="GreaterThanThreshold", EvaluationPeriods=1, Statistic="Sum",
                            ExtendedStatistic="p99")  # exclusive: Alarm.validate() refuses both


@pytest.mark.parametrize("invalid", [_function_without_code_or_role, _alarm_with_both_statistics],
                         ids=["missing required property", "a resource's own validate()"])
def test_invalid_resources_raise_what_to_dict_raises(invalid) -> None:
    """orjson wraps an exception raised in its callback; template_dict raises the original, as to_dict() does."""
    template = Template()
    template.add_resource(invalid())
    with pytest.raises(ValueError) as from_troposphere:
        template.to_dict()
    with pytest.raises(ValueError) as ours:
        template_dict(template)
    assert str(ours.value) == str(from_troposphere.value)


def test_equal_grants_share_a_statement_and_different_ones_do_not() -> None:
    def grant(resource: object, sid: str = "Read", deny: bool = False) -> Grant:
        return Grant(sid=sid, actions=("s3:GetObject",), resources=(resource,), deny=deny)

    assert _grant_key(grant(GetAtt("Bucket", "Arn"))) == _grant_key(grant(GetAtt("Bucket", "Arn")))
    different = [grant(GetAtt("Bucket", "Arn")), grant(GetAtt("Other", "Arn")), grant(Ref("Bucket")),
                 grant("Bucket"), grant(Sub("${Bucket.Arn}/*")), grant(GetAtt("Bucket", "Arn"), deny=True),
                 grant(GetAtt("Bucket", "Arn"), sid="Write")]
    assert len({_grant_key(g) for g in different}) == len(different)
    with_condition = Grant(sid="Tls", actions=("s3:GetObject",), resources=("*",), deny=True,
                           conditions=(Bool("aws:SecureTransport", "false"),))
    assert _grant_key(with_condition) is None

    shared: dict = {}
    first = _document([grant(GetAtt("Bucket", "Arn")), with_condition], shared)
    second = _document([grant(GetAtt("Bucket", "Arn")), with_condition], shared)
    assert first.Statement[0] is second.Statement[0]
    assert first.Statement[1] is not second.Statement[1]
    assert encode(first) == encode(second)
