"""The hand-made mutants mutmut cannot make (module constants, lru_cached functions): each applied alone to src/,
the tests that state it run, the file restored. Prints a Markdown table row per mutant (bench/mutation.md).

    .venv/bin/python scripts/hand_mutants.py
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MUTANTS = [
 ("camel lower-cases the rest of a part (orderId -> Orderid)", "src/specc/build/naming.py",
  "part[:1].upper() + part[1:] for part", "part[:1].upper() + part[1:].lower() for part", "tests/test_naming.py"),
 ("SEC002 dropped from baseline", "src/specc/policy/sec002_wildcard_actions.py",
  'PROFILES = ("baseline", "pci")', 'PROFILES = ("pci",)', "tests/test_policy.py"),
 ("SEC013 moved into baseline", "src/specc/policy/sec013_authenticated_routes.py",
  'PROFILES = ("pci",)', 'PROFILES = ("baseline", "pci")', "tests/test_policy.py"),
 ("root principal matched by endswith('root')", "src/specc/policy/sec002_wildcard_actions.py",
  'text.endswith(":root")', 'text.endswith("root")', "tests/test_policy.py"),
 ("SEC002 exemption widened (s3:* in bucket policies)", "src/specc/policy/sec002_wildcard_actions.py",
  "REQUIRED = {", 'REQUIRED = {("AWS::S3::BucketPolicy", "s3:*"): "widened",', "tests/test_policy.py"),
 ("SEC003 exemption widened (logs:PutLogEvents)", "src/specc/policy/sec003_wildcard_resources.py",
  '    "logs:CreateLogDelivery": VENDED_LOGS,',
  '    "logs:PutLogEvents": VENDED_LOGS,\n    "logs:CreateLogDelivery": VENDED_LOGS,', "tests/test_policy.py"),
 ("Allow NotAction let through", "src/specc/policy/sec002_wildcard_actions.py",
  'if "NotAction" in statement:', "if False:", "tests/test_policy.py"),
 ("the logs key grant loses its log-group condition", "src/specc/build/iam.py",
  '[Sub(LOG_GROUP_ARN + name) for name in sorted(log_groups)]', '[Sub(LOG_GROUP_ARN + "*")]', "tests/test_iam.py"),
 ("merge drops the second grant's actions", "src/specc/build/iam.py",
  "actions=tuple(sorted(set(seen.actions) | set(grant.actions))),", "actions=tuple(sorted(set(seen.actions))),",
  "tests/test_iam.py"),
 ("merge stops sorting a lone grant's actions", "src/specc/build/iam.py",
  "return [_sorted_actions(g) for _, g in sorted(by_sid.items())]", "return [g for _, g in sorted(by_sid.items())]",
  "tests/test_iam.py"),
 ("xray:PutTelemetryRecords loses its wildcard-resource reason", "src/specc/build/iam.py",
  '    "xray:PutTelemetryRecords": "X-Ray trace APIs do not support resource-level permissions",\n', "",
  "tests/test_policy.py"),
]


def main() -> int:
    survived = 0
    for name, file, old, new, tests in MUTANTS:
        survived += not _killed(name, file, old, new, tests)
    return 1 if survived else 0


def _killed(name: str, file: str, old: str, new: str, tests: str) -> bool:
    path = ROOT / file
    original = path.read_text()
    if original.count(old) != 1:  # the code moved: the mutant must be rewritten, not silently skipped
        print(f"| {name} | {path.name} | {tests} | NOT APPLIED: the text to change is not there once |")
        return False
    path.write_text(original.replace(old, new))
    try:
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m", "not slow",
                                 tests], cwd=ROOT, capture_output=True, text=True)
    finally:
        path.write_text(original)
    lines = result.stdout.strip().splitlines()
    verdict = "killed" if result.returncode == 1 else f"SURVIVED (pytest exit {result.returncode})"
    print(f"| {name} | {path.name} | {pathlib.Path(tests).name} | {verdict} | {lines[-1] if lines else ''} |")
    return result.returncode == 1


if __name__ == "__main__":
    raise SystemExit(main())
