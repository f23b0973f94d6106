"""Starter projects for `specc init`: a spec, its handler and the handler's tests, ready to compile.

Each template is a module with `DESCRIPTION`, `SECTIONS` (the spec sections it uses, so a test can
check they are all registered kinds) and `files(service, package)`: relative path -> file content.
Templates are Python strings rather than package data so they ship in any install, wheel or editable.
"""

from __future__ import annotations

import importlib
import re
from types import ModuleType

NAMES = ("api", "pipeline", "pci")
SCHEMA_PATH = "schema/specc.schema.json"  # written beside specs/, so the editor line works offline
REQUIREMENTS_PATH = "requirements-dev.txt"
# templates_out/ is not ignored: it is committed, and CI fails when it is stale (examples/ci/github-actions.yml).
GITIGNORE = """\
# made by `specc init`: what specc, Python and pytest leave behind (templates_out/ is committed on purpose)
.specc-cache/
__pycache__/
*.py[cod]
.pytest_cache/
.venv/
"""
_SERVICE = re.compile(r"^[a-z][a-z0-9-]{0,23}[a-z0-9]$")


def load(name: str) -> ModuleType:
    if name not in NAMES:
        raise ValueError(f"unknown template '{name}' (templates: {', '.join(NAMES)})")
    return importlib.import_module(f"specc.cli.init_templates.{name}")


def service_name(text: str) -> str:
    """A valid `service` from a directory name: `My Orders_API` -> `my-orders-api`."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    name = re.sub(r"^[^a-z]+", "", name)[:25].rstrip("-")
    return name if _SERVICE.match(name) else "my-service"


def valid_service(name: str) -> bool:
    return bool(_SERVICE.match(name))


def requirements() -> str:
    """What the project's own checks need: this specc, pinned (a new compiler may change the output), and pytest
    for the handler tests (boto3, which the handlers use, comes with specc and with the Lambda runtime)."""
    from specc import DISTRIBUTION, __version__

    return (f"# made by `specc init`: python -m pip install -r {REQUIREMENTS_PATH}\n"
            f"{DISTRIBUTION}=={__version__}\npytest>=8,<10\n")


def render(name: str, service: str) -> dict[str, str]:
    """Every file of template `name` for `service`, with the JSON Schema editors read, the tools the project's
    checks need (requirements-dev.txt) and a .gitignore."""
    from specc.model.schema import json_schema_text

    package = service.replace("-", "_")
    files = {path: text.replace("{{service}}", service).replace("{{package}}", package)
             for path, text in load(name).files().items()}
    files[SCHEMA_PATH] = json_schema_text()
    files[REQUIREMENTS_PATH] = requirements()
    files[".gitignore"] = GITIGNORE
    return {path.replace("{{service}}", service).replace("{{package}}", package): text for path, text in files.items()}
