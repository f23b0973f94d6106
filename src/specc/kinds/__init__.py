"""The registry of kinds, in build order. A new kind is one file in this folder and one line here."""

from __future__ import annotations

from specc.kinds import alarms, api, api_keys, functions, keys, routes, tables, topics, usage_plans
from specc.kinds import audit
from specc.kinds import domains, network, waf
from specc.kinds import buckets, cdn
from specc.kinds import queues
from specc.kinds import events, secrets
from specc.kinds import workflows
from specc.kinds.base import Kind

KINDS: tuple[Kind, ...] = (
    keys.KIND,
    tables.KIND,
    topics.KIND,
    functions.KIND,
    workflows.KIND,  # after functions: its states invoke them
    secrets.KIND,  # before network: a private rotation function's grants belong in the endpoint policies
    network.KIND,  # after functions: its endpoint policies are the private functions' grants
    routes.KIND,
    api.KIND,
    usage_plans.KIND,
    api_keys.KIND,
    waf.KIND,
    domains.KIND,
    cdn.KIND,  # before buckets: it adds statements to its bucket's policy (ctx.bucket_statements)
    buckets.KIND,
    queues.KIND,
    events.KIND,
    alarms.MONITORING,
    alarms.KIND,
    audit.KIND,
)

BY_SECTION: dict[str, Kind] = {kind.section: kind for kind in KINDS}
