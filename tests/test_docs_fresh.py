"""Generated documents are committed and must match the models: the reference and the JSON Schema.

When this fails after a model change: `make docs`, read the diff, commit.
"""

from __future__ import annotations

from pathlib import Path

from specc.model.reference import markdown
from specc.model.schema import json_schema_text

REPO = Path(__file__).resolve().parent.parent


def test_spec_reference_is_fresh() -> None:
    assert (REPO / "docs" / "spec-reference.md").read_text() == markdown()


def test_json_schema_is_fresh() -> None:
    assert (REPO / "schema" / "specc.schema.json").read_text() == json_schema_text()


def test_reference_documents_every_field_of_every_section() -> None:
    from specc.model.spec import Spec

    text = markdown()
    for field in Spec.model_fields:
        assert f"| `{field}` |" in text
    assert "## FunctionSpec (`functions` entries)" in text
