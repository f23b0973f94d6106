"""data_analytics reads: one id's newest records, or counts of records and objects."""

from __future__ import annotations

import pytest


def _store(secure_data, record_id: str, timestamps: range) -> None:
    for timestamp in timestamps:
        assert secure_data.process({"id": record_id, "timestamp": timestamp, "data": {"n": timestamp}}).status == 201


def test_history_of_one_id_newest_first_and_limited(secure_data) -> None:
    _store(secure_data, "a", range(1, 6))
    _store(secure_data, "b", range(1, 3))
    result = secure_data.analyse({"id": "a", "limit": 3})
    assert result.status == 200
    assert [r["timestamp"] for r in result.json["records"]] == [5, 4, 3]
    assert {r["id"] for r in result.json["records"]} == {"a"}


def test_summary_counts_records_and_objects(secure_data, with_bucket) -> None:
    _store(secure_data, "a", range(1, 4))
    _store(secure_data, "b", range(1, 3))
    result = secure_data.analyse({})
    assert result.status == 200
    assert result.json == {"records": 5, "complete": True, "objects": 5}


def test_summary_without_the_bucket_counts_records_only(secure_data) -> None:
    _store(secure_data, "a", range(1, 3))
    assert secure_data.analyse({}).json == {"records": 2, "complete": True}


@pytest.mark.parametrize("event", [{"limit": 0}, {"limit": 101}, {"limit": "5"}, {"id": "a b"}, "text"])
def test_bad_input_is_a_400(secure_data, event) -> None:
    result = secure_data.analyse(event)
    assert result.status == 400 and result.json["error"]


def test_a_read_failure_is_a_500_without_details(secure_data, monkeypatch) -> None:
    monkeypatch.setenv("TABLE_RECORDS", "missing-table")
    result = secure_data.analyse({"id": "a"})
    assert result.status == 500 and result.json == {"error": "the records could not be read"}
    assert secure_data.logs()[-1]["error"] == "ResourceNotFoundException"
