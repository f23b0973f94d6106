"""data_processor stores each record once, in the table and (with the data bucket) as an object."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError


def test_stores_a_record_in_the_table(secure_data) -> None:
    result = secure_data.process({"id": "sensor-1", "timestamp": 1700000000000, "data": {"temperature": 21}})
    assert result.status == 201
    assert result.json == {"id": "sensor-1", "timestamp": 1700000000000, "created": True}
    item = secure_data.table.get_item(Key={"id": "sensor-1", "timestamp": 1700000000000})["Item"]
    assert json.loads(item["data"]) == {"temperature": 21}
    assert item["function"] == "secureinfra-data-processor-test"
    assert secure_data.objects() == []  # no bucket in the environment: the table only
    assert secure_data.logs()[-1]["message"] == "stored"


def test_with_the_data_bucket_the_record_is_also_an_object(secure_data, with_bucket) -> None:
    secure_data.process({"id": "sensor-1", "timestamp": 5, "data": {"a": 1}})
    assert secure_data.objects() == ["records/sensor-1/5.json"]
    body = secure_data.s3.get_object(Bucket=secure_data.bucket, Key="records/sensor-1/5.json")["Body"].read()
    assert json.loads(body) == {"a": 1}


def test_a_retried_event_is_stored_once(secure_data, with_bucket) -> None:
    event = {"id": "sensor-1", "timestamp": 7, "data": {"a": 1}}
    assert secure_data.process(event).status == 201
    again = secure_data.process({**event, "data": {"a": 2}})
    assert again.status == 200 and again.json["created"] is False
    item = secure_data.table.get_item(Key={"id": "sensor-1", "timestamp": 7})["Item"]
    assert json.loads(item["data"]) == {"a": 1}
    assert secure_data.objects() == ["records/sensor-1/7.json"]


def test_an_id_is_generated_when_none_is_given(secure_data) -> None:
    result = secure_data.process({"data": {}})
    assert result.status == 201 and len(result.json["id"]) == 36


@pytest.mark.parametrize(("event", "message"), [
    ([], "the event must be a JSON object"),
    ({"data": "text"}, "`data` must be a JSON object"),
    ({"id": "../etc", "data": {}}, "`id` must be 1 to 128"),
    ({"id": "x" * 129, "data": {}}, "`id` must be 1 to 128"),
    ({"data": {}, "timestamp": -1}, "`timestamp` must be a non-negative"),
    ({"data": {}, "timestamp": True}, "`timestamp` must be a non-negative"),
    ({"data": {"blob": "x" * 70000}}, "larger than 65536 bytes"),
])
def test_bad_input_is_a_400_and_writes_nothing(secure_data, event, message) -> None:
    result = secure_data.process(event)
    assert result.status == 400 and message in result.json["error"]
    assert secure_data.table.scan()["Count"] == 0
    assert secure_data.logs()[-1]["level"] == "WARNING"


def test_an_aws_failure_is_raised_so_asynchronous_retries_and_the_dlq_see_it(secure_data, monkeypatch) -> None:
    monkeypatch.setenv("TABLE_RECORDS", "missing-table")
    with pytest.raises(ClientError):
        secure_data.process({"id": "a", "data": {}})
    assert secure_data.logs()[-1] == {"error": "ResourceNotFoundException", "id": "a", "level": "ERROR",
                                      "message": "table write failed", "service": "secureinfra"}
