"""Findings for people and machines: one list of results rendered as text, JSON or SARIF 2.1.0.

Every command that reports problems (`validate`, `lint`, `check`) turns what it found into `Result`s
and calls `output()`, so the formats stay identical across commands. Text is coloured on a terminal
or when FORCE_COLOR is set, and never when NO_COLOR is set (https://no-color.org); SARIF is what GitHub code scanning
reads (`github/codeql-action/upload-sarif`), with paths relative to the repository root.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import click

from specc import __version__
from specc.language.diagnostics import printable

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SPECC_URI = "https://github.com/specc/specc"  # informationUri of the tool in SARIF
_LEVELS = {"error": "error", "warning": "warning", "informational": "note", "info": "note", "note": "note"}

# The diagnostic codes of the loader and the validator (checks carry their own id and description).
SPEC_RULES: dict[str, str] = {
    "E000": "The spec file cannot be read (missing, a directory, or unreadable).",
    "E001": "The spec file is not UTF-8.",
    "E002": "The spec is not valid YAML.",
    "E003": "A mapping has the same key twice.",
    "E004": "An unsupported YAML tag (like !!python/... or !Ref) is used.",
    "E005": "The spec is too large or expands too much (alias bombs, deep nesting).",
    "E006": "The spec file is empty.",
    "E007": "A number no template can hold (a whole number past 64 bits, infinity or NaN).",
    "E010": "`extends` is not the path of a base spec.",
    "E011": "The chain of `extends` makes a cycle.",
    "E012": "A base spec (`extends`) resolves outside the project.",
    "E013": "A base spec (`extends`) does not exist or cannot be read.",
    "E014": "A base spec (`*.base.yaml`) is compiled on its own.",
    "E015": "The chain of `extends` is longer than specc reads.",
    "E101": "Unknown field.",
    "E102": "Wrong type or value.",
    "E103": "A required field is missing.",
    "E104": "An entry name is invalid.",
    "E105": "An invalid combination of fields.",
    "E201": "A reference names an entry that does not exist.",
    "E202": "An access level in `uses` does not exist for that section.",
    "E203": "An alarm names a metric that does not exist.",
    "E204": "Default keys are missing or ambiguous.",
    "E205": "The routes do not form a valid API.",
    "E206": "Handler files or environment variables are wrong.",
    "E250": "`code_root` resolves outside the project (checks/containment.py).",
    "E251": "A handler file resolves outside the project (`..`, an absolute path, or a symlink).",
    "E252": "A code directory resolves outside the project.",
    "E253": "A code directory holds a symlink that leads outside it.",
    "E255": "A `security.not_secret` entry excuses no flagged value.",
    "E281": "A reference in a value names a section, entry or attribute that does not exist.",
    "E285": "A note: a value refers to an entry the function does not `use` (a reference grants no access).",
    "E301": "A physical name breaks an AWS length or character limit.",
    "E302": "Two entries produce the same CloudFormation logical ID.",
    "E401": "More resources than CloudFormation allows in one template.",
    "E402": "More outputs than CloudFormation allows in one template.",
    "E240": "A template of a split service is over its budget (a shard too full, or the parent's shared resources).",
    "E241": "Splitting the service into nested stacks would make a circular dependency.",
}


@dataclass(frozen=True)
class Rule:
    """What a rule id means: SARIF lists each rule once and points results at it."""

    id: str
    description: str
    help_uri: str = ""


@dataclass(frozen=True, order=True)
class Result:
    """One finding at one place. `tool` groups results into SARIF runs (`specc`, `cfn-lint`...)."""

    file: str
    line: int
    column: int
    rule: str
    message: str
    level: str = "error"  # error | warning | note
    tool: str = "specc"
    subject: str = ""  # the spec path it concerns, like functions.create_payment.memory
    hint: str = ""
    severity_label: str = ""  # shown as `[label]` in text (cfn-lint's own severity names)
    resource: str = ""  # cfn-lint: the logical ID of the generated resource the finding is in
    generated: str = ""  # cfn-lint: where in the generated template (`templates_out/x/service.json:120:9`)

    def detail(self) -> str:
        """What is wrong, with the spec path it concerns and the hint: the message of every format."""
        subject = f"{self.subject}: " if self.subject else ""
        return f"{subject}{self.message}" + (f" ({self.hint})" if self.hint else "")

    def text(self, color: bool = False) -> str:
        where = printable(f"{self.file}:{self.line}:{self.column}")
        rule = self.rule + (f" [{self.severity_label}]" if self.severity_label else "")
        subject = printable(f"{self.subject}: ") if self.subject else ""
        hint = printable(f" ({self.hint})") if self.hint else ""
        if color:  # escaped first, so only our own colour codes reach the terminal
            where = click.style(where, bold=True)
            rule = click.style(rule, fg="red" if self.level == "error" else "yellow", bold=True)
            hint = click.style(hint, dim=True)
        return f"{where} {rule} {subject}{printable(self.message)}{hint}"


def from_diagnostics(diagnostics: Iterable[Any]) -> list[Result]:
    """Spec diagnostics (`specc.language.diagnostics.Diagnostic`), in the order people read them."""
    found = sorted(diagnostics, key=lambda d: d.sort_key())
    return [Result(file=d.file, line=d.position.line, column=d.position.column, rule=d.code, message=d.message,
                   level=_LEVELS.get(d.severity, "error"), subject=d.field_path, hint=d.hint,
                   severity_label="" if d.severity == "error" else d.severity) for d in found]


Place = tuple[int, int, str, str]  # spec line, column and dotted path of the entry that made a resource; its file


def from_lint_findings(findings: Iterable[Any], base: str | Path = "", *, spec: str = "",
                       places: Mapping[str, Place] | None = None) -> list[Result]:
    """cfn-lint findings (`specc.lint.Finding`); `base` is the directory the template would be written to.

    With `spec` and `places` (logical ID -> spec position), a finding is reported at the spec line that made its
    resource, as specc's own checks are: lint compiles in memory, so the template may not exist on disk. The rule
    id, the logical ID and the position in the generated template are kept. A finding outside any resource made
    by an entry (an output, a nested stack) is reported at the top of the spec."""
    results = []
    for f in findings:
        file = f"{Path(base).as_posix()}/{f.template}" if str(base) else f.template
        line, column = max(f.line, 1), max(f.column, 1)
        level = _LEVELS.get(f.severity, "warning")
        if not spec:
            results.append(Result(file=file, line=line, column=column, rule=f.rule, message=f.message, level=level,
                                  tool="cfn-lint", severity_label=f.severity, resource=f.resource))
            continue
        generated = f"{file}:{line}:{column}"
        place = (places or {}).get(f.resource) if f.resource else None
        spec_line, spec_column, subject, written = place if place else (1, 1, "", "")
        where = f"{f.resource} in {generated}" if f.resource else generated
        results.append(Result(file=written or spec, line=spec_line, column=spec_column, rule=f.rule,
                              message=f"{f.message} [{where}]", level=level, tool="cfn-lint", subject=subject,
                              severity_label=f.severity, resource=f.resource, generated=generated))
    return sorted(results)


def interactive(stream: IO[str] | None = None) -> bool:
    """A person is watching `stream` (default stdout): worth a progress bar or colour."""
    stream = stream if stream is not None else click.get_text_stream("stdout")
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def use_color(stream: IO[str] | None = None) -> bool:
    """Colour for a person at a terminal, or wherever FORCE_COLOR asks for it (https://force-color.org: CI logs
    that render ANSI codes); never when NO_COLOR is set to anything non-empty, which wins over FORCE_COLOR."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "").lower() not in ("", "0", "false"):
        return True
    return interactive(stream)


def render_text(results: Sequence[Result], color: bool = False) -> str:
    return "".join(r.text(color) + "\n" for r in results)


def render_json(results: Sequence[Result]) -> str:
    """A stable, flat shape for scripts: one object per result plus counts by level."""
    counts = {level: sum(1 for r in results if r.level == level) for level in ("error", "warning", "note")}
    body = {"version": 1, "tool": f"specc {__version__}", "results": [asdict(r) for r in results], "summary": counts}
    return json.dumps(body, indent=2, sort_keys=True) + "\n"


def render_sarif(results: Sequence[Result], *, rules: Mapping[str, Rule] | None = None,
                 tools: Sequence[str] = ("specc",), root: Path | None = None) -> str:
    """SARIF 2.1.0: one run per tool (listed even when clean, so an upload clears fixed alerts)."""
    root = (root or Path.cwd()).resolve()
    catalogue = {**default_rules(results), **(rules or {})}
    names = list(dict.fromkeys([*tools, *(r.tool for r in results)]))
    runs = [_sarif_run(tool, [r for r in results if r.tool == tool], catalogue, root) for tool in names]
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}
    return json.dumps(log, indent=2, sort_keys=True) + "\n"


def _sarif_run(tool: str, results: Sequence[Result], catalogue: Mapping[str, Rule], root: Path) -> dict[str, Any]:
    rule_ids = sorted({r.rule for r in results})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    rules = []
    for rule_id in rule_ids:
        rule = catalogue.get(rule_id, Rule(rule_id, rule_id))
        entry: dict[str, Any] = {"id": rule_id, "shortDescription": {"text": rule.description},
                                 "fullDescription": {"text": rule.description}}
        if rule.help_uri:
            entry["helpUri"] = rule.help_uri
        rules.append(entry)
    driver: dict[str, Any] = {"name": tool, "rules": rules}
    if tool == "specc":
        driver.update(version=__version__, semanticVersion=__version__, informationUri=SPECC_URI)
    return {
        "tool": {"driver": driver},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
        "results": [{
            "ruleId": r.rule,
            "ruleIndex": index[r.rule],
            "level": r.level,
            "message": {"text": r.detail()},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _relative_uri(r.file, root), "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": max(r.line, 1), "startColumn": max(r.column, 1)},
            }, **({"logicalLocations": [{"name": r.resource, "kind": "resource"}]} if r.resource else {})}],
            **_generated(r, root),
        } for r in results],
    }


def _generated(result: Result, root: Path) -> dict[str, Any]:
    """A cfn-lint result located in the spec also names the generated resource (its logical ID, as a property
    beside the logical location) and, as a related location, where it is in the generated template."""
    found: dict[str, Any] = {}
    if result.resource:
        found["properties"] = {"logicalId": result.resource}
    if result.generated:
        file, line, column = result.generated.rsplit(":", 2)
        found["relatedLocations"] = [{"id": 0, "message": {"text": "the generated template"}, "physicalLocation": {
            "artifactLocation": {"uri": _relative_uri(file, root), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": int(line), "startColumn": int(column)}}}]
    return found


def _relative_uri(file: str, root: Path) -> str:
    """Paths as GitHub code scanning wants them: relative to the repository root, with forward slashes."""
    path = Path(file)
    absolute = path if path.is_absolute() else (Path.cwd() / path)
    try:
        return absolute.resolve().relative_to(root).as_posix()
    except ValueError:
        return absolute.resolve().as_uri() if path.is_absolute() else path.as_posix()


def default_rules(results: Sequence[Result]) -> dict[str, Rule]:
    """Descriptions for the rule ids in `results`: specc's codes and checks, and cfn-lint's rules (loaded
    only when a cfn-lint result is there: building cfn-lint's rule collection takes about a second)."""
    from specc.checks import CHECKS

    catalogue = {code: Rule(code, text) for code, text in SPEC_RULES.items()}
    catalogue.update({c.id: Rule(c.id, c.description[:1].upper() + c.description[1:] + ".") for c in CHECKS})
    if any(r.rule.startswith("SEC") or r.rule == "E231" for r in results):
        from specc.policy import rules as policy_rules

        catalogue.update({rule_id: Rule(rule_id, text) for rule_id, text in policy_rules().items()})
    if any(r.tool == "cfn-lint" for r in results):
        catalogue.update(_cfn_lint_rules({r.rule for r in results if r.tool == "cfn-lint"}))
    return catalogue


def _cfn_lint_rules(ids: set[str]) -> dict[str, Rule]:
    from cfnlint.core import get_rules

    found = {}
    for rule in get_rules([], [], []):
        if rule.id in ids:
            found[rule.id] = Rule(rule.id, rule.shortdesc or rule.description, rule.source_url or "")
    return found


def render(results: Sequence[Result], fmt: str, *, color: bool = False, rules: Mapping[str, Rule] | None = None,
           tools: Sequence[str] = ("specc",), root: Path | None = None) -> str:
    if fmt == "json":
        return render_json(results)
    if fmt == "sarif":
        return render_sarif(results, rules=rules, tools=tools, root=root)
    return render_text(results, color)


def output(results: Sequence[Result], fmt: str, *, rules: Mapping[str, Rule] | None = None,
           tools: Sequence[str] = ("specc",), err: bool = False) -> None:
    """Write `results` to stdout (or stderr for text with `err=True`), coloured only where that helps."""
    stream = click.get_text_stream("stderr" if err else "stdout")
    color = fmt == "text" and use_color(stream)
    text = render(results, fmt, color=color, rules=rules, tools=tools)
    if text:
        click.echo(text, nl=False, err=err, color=color or None)  # click strips codes off a terminal unless told


format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
    help="text for people; json for scripts; sarif for GitHub code scanning.")
