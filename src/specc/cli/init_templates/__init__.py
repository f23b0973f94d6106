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


def render(name: str, service: str) -> dict[str, str]:
    """Every file of template `name` for `service`, with the JSON Schema editors read."""
    from specc.model.schema import json_schema_text

    package = service.replace("-", "_")
    files = {path: text.replace("{{service}}", service).replace("{{package}}", package)
             for path, text in load(name).files().items()}
    files[SCHEMA_PATH] = json_schema_text()
    return {path.replace("{{service}}", service).replace("{{package}}", package): text for path, text in files.items()}
