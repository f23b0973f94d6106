"""The pipeline workflow's steps (see `workflows.pipeline` in the spec): validate an upload, process it in
parallel batches, aggregate the batches' results, and record a failure. Each step reads the upload from S3 by
bucket, key and version, so executions carry references, not records (Step Functions caps state at 256 KB).
"""

from __future__ import annotations

import time
from typing import Any

from common import Event, UploadRejected, logger, read_upload, step_handler, table

MAX_BATCHES = 10


def _record_status(upload_id: str, status: str, **fields: Any) -> None:
    table("TABLE_RESULTS").put_item(Item={"id": upload_id, "timestamp": time.time_ns() // 1_000_000,
                                          "status": status, **fields})


@step_handler
def validate_upload(event: Event, context: Any) -> dict[str, Any]:
    """`is_valid` false (with a reason) for an upload the pipeline cannot process; S3 failures raise (retried)."""
    try:
        records = read_upload(event["bucket"], event["key"], event.get("version") or None)
    except UploadRejected as exc:
        return {"is_valid": False, "record_count": 0, "reason": str(exc)}
    if not records:
        return {"is_valid": False, "record_count": 0, "reason": "the upload has no records"}
    missing = sum(1 for r in records if "id" not in r)
    if missing:
        return {"is_valid": False, "record_count": len(records), "reason": f"{missing} record(s) have no id"}
    return {"is_valid": True, "record_count": len(records), "reason": ""}


@step_handler
def process_batch(event: Event, context: Any) -> dict[str, Any]:
    """Batch b of n takes every n-th record from the b-th: the branches of the Parallel state split the work."""
    batch, batches = int(event["batch"]), int(event["batches"])
    if not 1 <= batch <= batches <= MAX_BATCHES:
        raise ValueError(f"batch {batch} of {batches} is not a batch")
    records = read_upload(event["bucket"], event["key"], event.get("version") or None)[batch - 1::batches]
    fields: set[str] = set()
    numeric_total = 0
    for record in records:
        fields.update(record)
        numeric_total += sum(v for v in record.values() if isinstance(v, int) and not isinstance(v, bool))
    return {"batch": batch, "processed": len(records), "fields": sorted(fields), "numeric_total": numeric_total}


@step_handler
def aggregate_results(event: Event, context: Any) -> dict[str, Any]:
    """Totals over the batches' outputs, recorded as the upload's `completed` status."""
    results = event["results"]
    summary = {"processed": sum(int(r["processed"]) for r in results),
               "fields": sorted({f for r in results for f in r["fields"]}),
               "numeric_total": sum(int(r["numeric_total"]) for r in results), "batches": len(results)}
    _record_status(event["upload_id"], "completed", **summary)
    logger.info("upload completed", extra={"upload_id": event["upload_id"], "processed": summary["processed"]})
    return summary


@step_handler
def record_failure(event: Event, context: Any) -> dict[str, Any]:
    """The upload's `failed` status, with the validation reason or the error Step Functions caught."""
    error = event.get("error") or {}
    reason = (event.get("validation") or {}).get("reason") or error.get("Error") or "unknown"
    _record_status(event["upload_id"], "failed", reason=str(reason)[:1024])
    return {"upload_id": event["upload_id"], "status": "failed", "reason": str(reason)[:1024]}
