"""Run cfripper over templates, honouring per-resource skips: executed by .venv-scan's Python, not ours.

cfripper has no per-resource skip in the template (checkov has `Metadata.checkov.skip`). Its one mechanism is
rule filters in its configuration; this runner makes one filter per `Metadata.cfripper.skip` entry that
matches exactly that logical ID and rule (rule_mode ALLOWED, with the entry's comment as its reason), never a
rule switched off globally. Each template is also scanned without filters, so a skip that no longer excuses a
real failure is reported as stale.

Usage: python cfripper_scan.py TEMPLATE... -> JSON on stdout:
{"rules": N, "templates": {path: {"failed": [...], "skipped": [...], "stale_skips": [...], "errors": [...],
 "patched": [...]}}}
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

import pycfmodel
from cfripper.config.config import Config
from cfripper.config.filter import Filter
from cfripper.config.pluggy.utils import get_all_rules
from cfripper.model.enums import RuleMode
from cfripper.rule_processor import RuleProcessor

# An account id, so cfripper's cross-account trust rules run (without one they skip themselves). Intrinsics are
# resolved (`--resolve`) with pycfmodel's stand-in account, 123456789012: principals of the template's own account.
ACCOUNT = "123456789012"


def skips(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(logical ID, rule, reason) of every `Metadata.cfripper.skip` entry."""
    found = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        for entry in ((resource.get("Metadata") or {}).get("cfripper") or {}).get("skip", []):
            found.append((logical_id, entry["id"], entry["comment"]))
    return found


def filters(template: dict[str, Any]) -> list[Filter]:
    return [Filter(reason=reason, rule_mode=RuleMode.ALLOWED, rules={rule},
                   eval={"eq": [{"ref": "logical_id"}, logical_id]})
            for logical_id, rule, reason in skips(template)]


def pycfmodel_workaround(template: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """pycfmodel (cfripper's parser) types CloudWatch alarm thresholds as integers, so a template with a threshold
    like 0.05 cannot be parsed at all. No cfripper rule reads alarms: round those thresholds in a copy, and say so."""
    patched = []
    template = copy.deepcopy(template)
    for logical_id, resource in (template.get("Resources") or {}).items():
        props = resource.get("Properties") or {}
        value = props.get("Threshold")
        if resource.get("Type") == "AWS::CloudWatch::Alarm" and isinstance(value, float) and not value.is_integer():
            props["Threshold"] = round(value)
            patched.append(logical_id)
    return template, patched


def scan(template: dict[str, Any], rule_filters: list[Filter]) -> Any:
    rules = get_all_rules()
    config = Config(rules=list(rules), aws_account_id=ACCOUNT, rules_filters=rule_filters)
    processor = RuleProcessor(*[rules[name](config) for name in config.rules])
    model = pycfmodel.parse(template).resolve()
    return processor.process_cf_template(model, config), len(config.rules)


def failures(result: Any) -> list[dict[str, Any]]:
    return sorted(({"rule": f.rule, "resources": sorted(f.resource_ids or []), "reason": f.reason,
                    "mode": str(f.rule_mode.value)} for f in result.failures),
                  key=lambda f: (f["rule"], f["resources"]))


def main(paths: list[str]) -> dict[str, Any]:
    report: dict[str, Any] = {"rules": 0, "templates": {}}
    for path in paths:
        with open(path) as handle:
            original = json.load(handle)
        template, patched = pycfmodel_workaround(original)
        raw, count = scan(template, [])
        result, _ = scan(template, filters(original))
        report["rules"] = count
        raw_failures = failures(raw)
        listed = skips(original)
        skipped = [{"rule": rule, "resource": lid, "reason": reason} for lid, rule, reason in listed
                   if any(f["rule"] == rule and lid in f["resources"] for f in raw_failures)]
        stale = [{"rule": rule, "resource": lid} for lid, rule, _ in listed
                 if not any(f["rule"] == rule and lid in f["resources"] for f in raw_failures)]
        report["templates"][path] = {
            "failed": failures(result),
            "skipped": skipped,
            "stale_skips": stale,
            "errors": [repr(e) for e in result.exceptions],
            "patched": patched,
        }
    return report


if __name__ == "__main__":
    json.dump(main(sys.argv[1:]), sys.stdout, indent=2, sort_keys=True)
