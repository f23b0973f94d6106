"""A function's `triggers` name a well-formed Alexa skill ID, or an AWS service principal with the ARN it is scoped to.

A malformed skill ID would deploy a permission no skill matches (the skill then fails with "unable to reach the
endpoint"); a service principal without a source ARN would let that service invoke the function on behalf of
any account, which is why specc refuses it rather than open the permission.
"""

from __future__ import annotations

import re
from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E283"
DESCRIPTION = "function triggers name a valid Alexa skill ID, or a service principal scoped to a source ARN"

SKILL_ID = re.compile(r"amzn1\.(ask\.skill|echo-sdk-ams\.app)\."
                      r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SERVICE = re.compile(r"[a-z0-9][a-z0-9.-]*\.amazon(aws)?\.com")
SKILL_HINT = ("a skill ID is `amzn1.ask.skill.` followed by a lower-case UUID; the Alexa developer console shows "
              "it under View Skill ID")


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    from specc.kinds.functions import ALEXA_PRINCIPALS

    found = []
    for name, function in spec.functions.items():
        seen: dict[tuple[str, str], int] = {}
        for index, trigger in enumerate(function.triggers):
            here = ("functions", name, "triggers", index)
            for field in ALEXA_PRINCIPALS:
                skill = getattr(trigger, field)
                if skill is not None and not SKILL_ID.fullmatch(skill):
                    found.append(source.diagnostic(ID, here + (field,), f"'{skill}' is not an Alexa skill ID",
                                                   SKILL_HINT))
            if trigger.service is not None:
                if not SERVICE.fullmatch(trigger.service):
                    found.append(source.diagnostic(
                        ID, here + ("service",), f"'{trigger.service}' is not an AWS service principal",
                        "service principals look like `iot.amazonaws.com`"))
                if trigger.service in ALEXA_PRINCIPALS.values():
                    field = next(f for f, p in ALEXA_PRINCIPALS.items() if p == trigger.service)
                    found.append(source.diagnostic(
                        ID, here + ("service",), f"'{trigger.service}' is an Alexa principal: write "
                        f"`{field}: <skill ID>`", "an Alexa permission is scoped to its skill ID"))
                if trigger.source_arn is None:
                    found.append(source.diagnostic(
                        ID, here, f"a `service` trigger needs `source_arn`: without it, {trigger.service} could "
                        "invoke the function for any account's resources", "name the one resource that invokes it, "
                        "like `arn:aws:iot:${aws.region}:${aws.account_id}:rule/NAME`", at_key=True))
                elif not (trigger.source_arn.startswith("arn:") or trigger.source_arn.startswith("${")):
                    found.append(source.diagnostic(
                        ID, here + ("source_arn",), f"'{trigger.source_arn}' is not an ARN",
                        "an ARN starts with `arn:`; `${aws.partition}`, `${aws.region}` and `${aws.account_id}` "
                        "may stand for its parts"))
            key = (trigger.principal(), trigger.skill_id() or str(trigger.source_arn))
            if key in seen:
                found.append(source.diagnostic(ID, here, f"the same trigger as triggers[{seen[key]}]",
                                               "remove one of the two", at_key=True))
            seen.setdefault(key, index)
    return found
