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


@pytest.mark.xfail(strict=True, reason="bug: an alarm on an unknown section gets the `uses` message ('not something "
                   "a function can use'), at the alarm's key, with every section as the hint (checks/references.py "
                   "treats every reference to an unknown section as a `uses` one)")
def test_an_alarm_on_an_unknown_section_says_the_section_is_unknown(write_spec) -> None:
    with pytest.raises(SpecError) as caught:
        compile_spec(write_spec(SPEC))
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.field_path) == ("E201", "alarms.widgets_down.metric")
    assert "function can use" not in diagnostic.message and "widgets" in diagnostic.message
