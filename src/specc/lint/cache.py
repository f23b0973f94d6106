"""cfn-lint findings cached by what determines them: the template's bytes, the cfn-lint version and the regions.

cfn-lint costs 16-30 ms per resource and template; compiling costs a fraction of that. A template whose bytes,
linter version and regions are unchanged has the same findings, so `specc lint` keeps them in
`.specc-cache/lint/<key[:2]>/<key>.json` (gitignored; `SPECC_CACHE_DIR` moves it) and re-linting an unchanged
service reads a few small files instead of running the linter. Entries are written atomically (a temporary file
renamed into place), so a crash or a concurrent run never leaves half an entry; an unreadable or malformed
entry is ignored and replaced. Cache misses are linted in parallel processes, one per core.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

FORMAT = 3  # bump when the entry layout changes (2: state machine definitions, asl.py; 3: the logical ID of each)


FIELDS = {"line", "column", "rule", "severity", "message", "resource"}  # resource: the logical ID, or ""


@lru_cache(maxsize=1)
def cfn_lint_version() -> str:
    from importlib.metadata import version

    return version("cfn-lint")


def cache_key(body: bytes, regions: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for part in (f"specc-lint-cache {FORMAT}", cfn_lint_version(), ",".join(sorted(regions))):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()


def default_directory() -> Path:
    return Path(os.environ.get("SPECC_CACHE_DIR") or ".specc-cache") / "lint"


@dataclass
class LintCache:
    directory: Path = field(default_factory=default_directory)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[dict[str, Any]] | None:
        """The findings stored for `key`, or None when there is no usable entry."""
        try:
            entry = json.loads(self._path(key).read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("findings"), list):
            return None
        findings: list[dict[str, Any]] = entry["findings"]
        if not all(isinstance(f, dict) and set(f) == FIELDS for f in findings):
            return None
        return findings

    def put(self, key: str, findings: list[dict[str, Any]]) -> None:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{key[:8]}.", dir=target.parent)
        except OSError:  # a read-only or full disk only costs the next run its speed
            return
        try:
            with os.fdopen(handle, "w") as stream:
                json.dump({"key": key, "cfn_lint": cfn_lint_version(), "findings": findings}, stream)
            os.replace(temporary, target)
        except OSError:
            Path(temporary).unlink(missing_ok=True)


def run_cfn_lint(body: str, regions: list[str]) -> list[dict[str, Any]]:
    """cfn-lint as a library over one rendered template (in whichever process runs it)."""
    from cfnlint.api import ManualArgs, lint

    from specc.lint.asl import definition_matches

    return [{"line": m.linenumber, "column": m.columnnumber, "rule": m.rule.id,
             "severity": str(getattr(m.rule, "severity", "error")), "message": m.message, "resource": resource_of(m)}
            for m in lint(body, config=ManualArgs(regions=list(regions)))] + definition_matches(body, list(regions))


def resource_of(match: Any) -> str:
    """The logical ID of the resource a cfn-lint match is in (its path starts `Resources/<id>`), or ""."""
    path = getattr(match, "path", None) or []
    return str(path[1]) if len(path) > 1 and path[0] == "Resources" else ""


@dataclass
class Job:
    name: str
    body: bytes
    regions: list[str]
    key: str = ""


@dataclass
class Outcome:
    findings: dict[str, list[dict[str, Any]]]  # job name -> findings
    hits: int = 0
    linted: int = 0


def lint_jobs(jobs: list[Job], cache: LintCache | None = None, workers: int | None = None,
              done: Callable[[Job], None] | None = None) -> Outcome:
    """Findings of every job: from the cache when it has them, else from cfn-lint in up to `workers` processes."""
    outcome = Outcome(findings={})
    missing: list[Job] = []
    twins: dict[str, list[Job]] = {}  # key -> later jobs with the same bytes and regions: linted once
    for job in jobs:
        job.key = cache_key(job.body, job.regions)
        if job.key in twins:
            twins[job.key].append(job)
            continue
        twins[job.key] = []
        cached = cache.get(job.key) if cache is not None else None
        if cached is None:
            missing.append(job)
            continue
        outcome.hits += 1
        _give(outcome, job, cached, twins, done)
    workers = max(1, min(workers or os.cpu_count() or 1, len(missing)))

    def finish(job: Job, findings: list[dict[str, Any]]) -> None:
        outcome.linted += 1
        if cache is not None:
            cache.put(job.key, findings)
        _give(outcome, job, findings, twins, done)

    if workers == 1:
        for job in missing:
            finish(job, run_cfn_lint(job.body.decode(), job.regions))
        return outcome
    # largest first, so the longest template does not start last
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(run_cfn_lint, job.body.decode(), job.regions): job
                   for job in sorted(missing, key=lambda j: -len(j.body))}
        for future in as_completed(futures):
            finish(futures[future], future.result())
    return outcome


def _give(outcome: Outcome, job: Job, findings: list[dict[str, Any]], twins: dict[str, list[Job]],
          done: Callable[[Job], None] | None) -> None:
    """`job`'s findings, and the same to every identical template (StackSet copies, shards of equal content)."""
    for each in [job, *twins[job.key]]:
        outcome.findings[each.name] = findings
        if done:
            done(each)
