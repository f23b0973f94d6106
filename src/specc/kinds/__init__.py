"""The registry of kinds, in build order. A new kind is one file in this folder and one line here."""

from __future__ import annotations

from specc.kinds import alarms, api, api_keys, functions, keys, routes, tables, topics, usage_plans
from specc.kinds import audit
from specc.kinds.base import Kind

KINDS: tuple[Kind, ...] = (
    keys.KIND,
    tables.KIND,
    topics.KIND,
    functions.KIND,
    routes.KIND,
    api.KIND,
    usage_plans.KIND,
    api_keys.KIND,
    alarms.MONITORING,
    alarms.KIND,
    audit.KIND,
)

BY_SECTION: dict[str, Kind] = {kind.section: kind for kind in KINDS}
