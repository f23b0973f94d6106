"""DeletionPolicy and UpdateReplacePolicy on everything that holds data, from `security.deletion_policy`.

CloudFormation's implied default deletes data stores that leave the template (or are replaced by a
renamed property). specc declares the spec's choice on each of them instead, so the template says what
happens to the data; a value a kind set itself (bootstrap's buckets) is kept. Policy check SEC011 verifies it.
"""

from __future__ import annotations

from specc.build.context import BuildContext
from specc.policy.sec011_deletion_policy import DATA_STORES


def declare(ctx: BuildContext) -> None:
    policy = ctx.spec.security.deletion_policy
    for resource in ctx.template.resources.values():
        if resource.resource_type not in DATA_STORES:
            continue
        for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
            if attribute not in resource.resource:
                setattr(resource, attribute, policy)
