"""`specc init --template pipeline`: an API that queues jobs for an asynchronous worker, which publishes events.

Built from the kinds registered today: the worker is invoked asynchronously (retries, maximum event
age and an on-failure destination queue), not yet fed by an S3 upload or an SQS queue.
"""

from __future__ import annotations

DESCRIPTION = "API → asynchronous worker (retries, on-failure queue) → table and event topic, with alarms"
SECTIONS = ("tables", "topics", "functions", "routes", "usage_plans", "api_keys", "monitoring", "alarms")

SPEC = """\
# yaml-language-server: $schema=../schema/specc.schema.json
# {{service}}: submit a job over HTTP, process it asynchronously, publish an event when it is done
# (made by `specc init --template pipeline`).
#   specc compile specs/{{service}}.yaml   # CloudFormation into templates_out/{{service}}/
#   specc lint specs/{{service}}.yaml      # cfn-lint in every region below
specc: 1
service: {{service}}
environment: dev
regions: [us-east-1]
code_root: ..

tables:
  jobs:
    partition_key: {name: job_id, type: S}
    ttl: expires_at                 # finished jobs expire after a week

topics:
  job_events: {}                    # subscribe consumers here
  alerts:
    subscriptions:
      - {protocol: email, endpoint: oncall@example.com}

functions:
  submit_job:
    handler: handlers/{{package}}/app.py:submit_job
    uses:
      tables: {jobs: write}
      functions: {process_job: invoke}
  process_job:
    handler: handlers/{{package}}/app.py:process_job
    memory: 1024
    timeout: 120
    async_invocation:               # failed jobs are retried twice, then kept in its queue
      retries: 2
      max_event_age_seconds: 3600
      on_failure: destination
    uses:
      tables: {jobs: read_write}
      topics: {job_events: publish}
  get_job:
    handler: handlers/{{package}}/app.py:get_job
    uses: {tables: {jobs: read}}

routes:
  POST /jobs: {function: submit_job, api_key: true}
  GET /jobs/{job_id}: {function: get_job, api_key: true}

usage_plans:
  standard:
    throttle: {rate: 20, burst: 10}
    quota: {limit: 50000, period: MONTH}

api_keys:
  first_client: {usage_plan: standard}

monitoring:
  notify: alerts

alarms:
  jobs_failing:
    metric: functions.process_job.Errors
    threshold: "> 2"
    period: 300
    description: Jobs keep failing; failed events wait in the process_job dead-letter queue.
"""

HANDLER = '''\
"""The {{service}} pipeline: `submit_job` stores a job and hands it to `process_job`, which runs
asynchronously (Lambda retries it, then keeps the event in its on-failure queue) and publishes
a `job_events` message when done.

specc sets TABLE_JOBS, FUNCTION_PROCESS_JOB and TOPIC_JOB_EVENTS from the functions' `uses`. boto3
comes with the Lambda runtime; the tests replace `jobs()`, `lambda_client()` and `sns()` with fakes.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from functools import lru_cache
from typing import Any

MAX_TEXT = 100_000
WEEK = 7 * 24 * 3600


@lru_cache(maxsize=1)
def jobs() -> Any:
    import boto3

    return boto3.resource("dynamodb").Table(os.environ["TABLE_JOBS"])


@lru_cache(maxsize=1)
def lambda_client() -> Any:
    import boto3

    return boto3.client("lambda")


@lru_cache(maxsize=1)
def sns() -> Any:
    import boto3

    return boto3.client("sns")


def submit_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        body = json.loads(event.get("body") or "{}")
    except json.JSONDecodeError:
        return respond(400, {"error": "the body must be JSON"})
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        return respond(400, {"error": f"`text` must be 1 to {MAX_TEXT} characters"})
    job = {"job_id": str(uuid.uuid4()), "status": "queued", "expires_at": int(time.time()) + WEEK}
    jobs().put_item(Item=job)
    lambda_client().invoke(FunctionName=os.environ["FUNCTION_PROCESS_JOB"], InvocationType="Event",
                           Payload=json.dumps({"job_id": job["job_id"], "text": text}).encode())
    return respond(202, {"job_id": job["job_id"], "status": "queued"})


def process_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Raise to fail: Lambda retries, then sends the event to the on-failure destination."""
    job_id, words = event["job_id"], len(event["text"].split())
    jobs().update_item(Key={"job_id": job_id}, UpdateExpression="SET #status = :done, words = :words",
                       ExpressionAttributeNames={"#status": "status"},
                       ExpressionAttributeValues={":done": "done", ":words": words})
    result = {"job_id": job_id, "status": "done", "words": words}
    sns().publish(TopicArn=os.environ["TOPIC_JOB_EVENTS"], Message=json.dumps(result))
    return result


def get_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job_id = (event.get("pathParameters") or {}).get("job_id", "")
    found = jobs().get_item(Key={"job_id": job_id}).get("Item")
    return respond(200, found) if found else respond(404, {"error": f"no job {job_id}"})


def respond(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
'''

TEST = '''\
"""The {{service}} pipeline end to end: submit, process (as Lambda would, asynchronously), read back."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

# Loaded under a name of its own, so the tests of several services can run in one pytest session.
_SPEC = importlib.util.spec_from_file_location("{{package}}_app", Path(__file__).resolve().parents[1] / "app.py")
app = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(app)


class FakeTable:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def put_item(self, Item: dict[str, Any]) -> None:
        self.items[Item["job_id"]] = dict(Item)

    def update_item(self, Key: dict[str, str], ExpressionAttributeValues: dict[str, Any], **_: Any) -> None:
        self.items[Key["job_id"]].update(status=ExpressionAttributeValues[":done"],
                                         words=ExpressionAttributeValues[":words"])

    def get_item(self, Key: dict[str, str]) -> dict[str, Any]:
        found = self.items.get(Key["job_id"])
        return {"Item": found} if found else {}


class Recorder:
    """Stands in for the Lambda and SNS clients: remembers every call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)

    def publish(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    fakes = SimpleNamespace(jobs=FakeTable(), lambda_client=Recorder(), sns=Recorder())
    for name in ("jobs", "lambda_client", "sns"):
        monkeypatch.setattr(app, name, lambda fake=getattr(fakes, name): fake)
    monkeypatch.setenv("FUNCTION_PROCESS_JOB", "{{service}}-process-job-dev")
    monkeypatch.setenv("TOPIC_JOB_EVENTS", "arn:aws:sns:us-east-1:123456789012:{{service}}-job-events-dev")
    return fakes


def test_a_job_goes_from_queued_to_done_and_is_announced(aws: SimpleNamespace) -> None:
    response = app.submit_job({"body": json.dumps({"text": "three little words"})}, None)
    assert response["statusCode"] == 202
    job_id = json.loads(response["body"])["job_id"]
    assert aws.jobs.items[job_id]["status"] == "queued"

    (invocation,) = aws.lambda_client.calls
    assert invocation["InvocationType"] == "Event" and invocation["FunctionName"] == "{{service}}-process-job-dev"
    app.process_job(json.loads(invocation["Payload"]), None)  # what Lambda does with the event

    (published,) = aws.sns.calls
    assert json.loads(published["Message"]) == {"job_id": job_id, "status": "done", "words": 3}
    got = app.get_job({"pathParameters": {"job_id": job_id}}, None)
    assert got["statusCode"] == 200 and json.loads(got["body"])["words"] == 3


@pytest.mark.parametrize("body", [None, "{", json.dumps({"text": ""}), json.dumps({"text": "x" * 100_001})])
def test_bad_submissions_are_refused_and_start_nothing(aws: SimpleNamespace, body: Any) -> None:
    assert app.submit_job({"body": body}, None)["statusCode"] == 400
    assert aws.jobs.items == {} and aws.lambda_client.calls == []


def test_unknown_job_is_404(aws: SimpleNamespace) -> None:
    assert app.get_job({"pathParameters": {"job_id": "nope"}}, None)["statusCode"] == 404
'''


def files() -> dict[str, str]:
    return {
        "specs/{{service}}.yaml": SPEC,
        "handlers/{{package}}/app.py": HANDLER,
        "handlers/{{package}}/tests/test_app.py": TEST,
    }
