"""Reference checks (src/specc/checks/references.py) beyond the error cases of tests/errors/: what a diagnostic says
must match where the reference was written."""

from __future__ import annotations

import pytest

from specc.compiler import compile_spec
from specc.language.diagnostics import SpecError

SPEC = """
specc: 1
service: shop
environment: dev
regions: [eu-west-1]
functions:
  orders:
    handler: handlers/app.py:handler
alarms:
  widgets_down:
    metric: widgets.x.Errors
    threshold: "> 0"
"""


def test_an_alarm_on_an_unknown_section_says_the_section_is_unknown_at_its_metric(write_spec) -> None:
    """Not the `uses` message ('not something a function can use', at the alarm's key): the alarm's metric names a
    section that does not exist, and the hint lists the sections an alarm can watch."""
    with pytest.raises(SpecError) as caught:
        compile_spec(write_spec(SPEC))
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.field_path, diagnostic.message, diagnostic.hint) == (
        "E201", "alarms.widgets_down.metric", "unknown section 'widgets'",
        "alarm on a metric of: api, buckets, events, functions, queues, tables, topics, waf, workflows")
    # at the metric's value (line 10 once write_spec strips the leading newline), not at the alarm's key
    assert (diagnostic.position.line, diagnostic.position.column) == (10, 13)


def test_a_mistake_in_an_alarm_does_not_hide_the_next_one(write_spec) -> None:
    """Every wrong reference is reported in one run, not the first one only: the unknown section of the metric and
    the undeclared topic the same alarm notifies."""
    with pytest.raises(SpecError) as caught:
        compile_spec(write_spec(SPEC + "    notify: pager\n"))
    assert [(d.code, d.field_path, d.message) for d in caught.value.diagnostics] == [
        ("E201", "alarms.widgets_down.metric", "unknown section 'widgets'"),
        ("E201", "alarms.widgets_down.notify", "unknown topic 'pager'")]
