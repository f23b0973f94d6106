"""template_dict (the one-pass encoder the compiler uses) gives exactly troposphere's `Template.to_dict()`."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from specc import compiler
from specc.build.template_dict import template_dict

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*/spec.yaml"))


@pytest.mark.parametrize("spec", GOLDEN, ids=[p.parent.name for p in GOLDEN])
def test_same_as_troposphere(spec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    real, real_separate = compiler.split_service, compiler.separate
    whole: dict = {}  # the service template before its us-east-1 part moves to global.json (global_stack.py)

    def separating(spec_model, service):
        whole["service"] = copy.deepcopy(service)
        return real_separate(spec_model, service)

    def compare(ctx, plan, split_input):
        service = whole["service"]
        expected, encoded = ctx.template.to_dict(), template_dict(ctx.template)
        if ctx.spec.overrides:  # the compiler applies them to the encoded dicts, before the policy and the split
            from specc.kinds.overrides import apply

            assert apply(ctx, expected) == [] and apply(ctx, encoded) == []
        assert service == expected
        assert encoded == service
        seen.append(spec)
        return real(ctx, plan, split_input)

    monkeypatch.setattr(compiler, "separate", separating)
    monkeypatch.setattr(compiler, "split_service", compare)
    compiler.compile_spec(spec)
    assert seen == [spec]
