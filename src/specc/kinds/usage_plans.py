"""API usage plans: throttling and quota per plan, bound to the API stage."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from troposphere import Ref, Sub, apigateway

from specc.build.context import BuildContext
from specc.build.naming import logical_id
from specc.kinds.base import Attribute, Kind, NameRule, ref_attribute
from specc.language.types import SpecModel, Throttle


class Quota(SpecModel):
    limit: int = Field(ge=1, le=2_000_000_000, description="Requests allowed per period.", examples=[100000])
    period: Literal["DAY", "WEEK", "MONTH"] = Field(description="Quota period.", examples=["MONTH"])


class UsagePlanSpec(SpecModel):
    """Limits applied to the API keys bound to the plan."""

    description: str = Field("", max_length=256, description="What the plan is for.",
                             examples=["Merchant integrations"])
    throttle: Throttle | None = Field(None, description="Per-key throttling.")
    quota: Quota | None = Field(None, description="Per-key request quota.")


def build(ctx: BuildContext, name: str, spec: UsagePlanSpec) -> None:
    from specc.kinds.api_ids import API_ID, STAGE_ID

    plan = apigateway.UsagePlan(
        logical_id(name, "UsagePlan"),
        UsagePlanName=ctx.physical(name),
        Description=spec.description or f"{ctx.spec.service} {name} plan",
        ApiStages=[apigateway.ApiStage(ApiId=Ref(API_ID), Stage=Ref(STAGE_ID))],
    )
    if spec.throttle:
        plan.Throttle = apigateway.ThrottleSettings(RateLimit=spec.throttle.rate, BurstLimit=spec.throttle.burst)
    if spec.quota:
        plan.Quota = apigateway.QuotaSettings(Limit=spec.quota.limit, Period=spec.quota.period)
    ctx.add(plan, ("usage_plans", name))


def names(spec: Any, name: str, entry: UsagePlanSpec) -> list[NameRule]:
    return [NameRule("usage plan name", spec.physical(name), 1024)]


KIND = Kind(
    section="usage_plans",
    singular="usage_plan",
    model=UsagePlanSpec,
    description="API Gateway usage plans (throttle and quota per API key).",
    build=build,
    names=names,
    attributes={"arn": Attribute("ARN of the usage plan", lambda ctx, name: Sub(
                    "arn:${AWS::Partition}:apigateway:${AWS::Region}::/usageplans/"
                    + f"${{{logical_id(name, 'UsagePlan')}}}")),
                "id": ref_attribute("UsagePlan", "ID of the usage plan")},
)
