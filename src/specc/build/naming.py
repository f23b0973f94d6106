"""Deterministic names: logical IDs from entry names only, physical names with the environment suffix.

Logical IDs never depend on the order of entries or on other entries, so adding or reordering
entries never renames (and so never replaces) anything else.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

_SPLIT = re.compile(r"[^A-Za-z0-9]+")


@lru_cache(maxsize=65536)
def camel(name: str) -> str:
    """`create_payment` -> `CreatePayment`; `{payment_id}` -> `PaymentId`."""
    return "".join(part[:1].upper() + part[1:] for part in _SPLIT.split(name) if part)


def logical_id(name: str, suffix: str) -> str:
    return f"{camel(name)}{suffix}"


def physical_name(service: str, name: str, environment: str) -> str:
    """`payments`, `create_payment`, `prod` -> `payments-create-payment-prod` (the environment is always last)."""
    return f"{service}-{name}-{environment}".replace("_", "-")


def short_hash(*parts: str, length: int = 10) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return digest[:length]


def env_var_name(singular: str, name: str) -> str:
    """The environment variable a function gets for each entry it uses: `TABLE_TRANSACTIONS`."""
    return f"{singular}_{name}".upper()
