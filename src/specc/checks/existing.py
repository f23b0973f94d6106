"""Existing resources (`existing:`) are named well, set nothing specc would have to create, and are only used
in ways that need no resource of ours: `uses`, `${...}` values and outputs, and an existing entry's key.

A hard-coded region or account in an existing ARN is refused when the service deploys to several regions or
accounts: every stack instance of the StackSet would name that one resource (write `${aws.region}` and
`${aws.account_id}`, or a bare name, which the stack completes with its own). An existing VPC's IDs hold in one
region and account only: a service of several gives every region's (`by_region`), and every account's of
`accounts` (`by_account`), each exactly once.
"""

from __future__ import annotations

from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E350"
DESCRIPTION = "existing resources (`existing:`) are named well and only used, never built on"
MALFORMED = "E351"
HARD_CODED = "E355"
BUILT_ON = "E356"
DEFAULT_KEY = "E357"
NETWORK = "E358"
MISSING_IDS = "E359"  # by_account: an account and region of the service without IDs
NOT_DEPLOYED = "E361"  # by_account: an account or region the service does not deploy to
NO_REGION = "E362"  # by_account: one region's IDs for an account of a service of several regions
ACCOUNTS_UNKNOWN = "E363"  # by_account without `accounts`


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    from specc.kinds.existing import ALLOWED, ALLOWED_IN, FORMS, is_existing

    found = []
    for section in FORMS:
        for name, entry in sorted((getattr(spec, section, None) or {}).items()):
            if is_existing(entry):
                found += _fields(spec, source, section, name, entry, ALLOWED_IN.get(section, ALLOWED))
                found += _value(spec, source, section, name, entry.existing)
    network = getattr(spec, "network", None)
    if network is not None and network.existing is not None:
        found += _fields(spec, source, "network", None, network, frozenset({"existing"}))
        found += _network(spec, source)
    return found + _built_on(spec, source) + _default_keys(spec, source)


def _fields(spec: Any, source: SourceFile, section: str, name: str | None, entry: Any,
            allowed: frozenset[str]) -> list[Diagnostic]:
    from specc.kinds import BY_SECTION

    path: tuple[Any, ...] = (section, name) if name is not None else (section,)
    singular = BY_SECTION[section].singular.replace("_", " ")
    return [source.diagnostic(
        ID, path + (field,), f"`{field}` does not apply to an existing {singular}: specc creates nothing for it",
        f"allowed with `existing`: {', '.join(sorted(allowed))}; to have specc create the {singular}, remove "
        "`existing`", at_key=True)
        for field in sorted(entry.model_fields_set - allowed)]


def _value(spec: Any, source: SourceFile, section: str, name: str, value: str) -> list[Diagnostic]:
    from specc.kinds.existing import FORMS, understand

    path = (section, name, "existing")
    found = understand(section, value)
    if isinstance(found, str):
        form = FORMS[section]
        thing = form.what.rsplit(" ", 1)[0]  # "event bus name" -> "event bus"
        return [source.diagnostic(MALFORMED, path, found, f"write the existing {thing}'s ARN or its {form.what}, "
                                  f"like '{form.example}'")]
    problems = []
    if found.region and len(spec.regions) > 1:
        problems.append(source.diagnostic(
            HARD_CODED, path, f"the ARN names region {found.region}, but the service deploys to "
            f"{len(spec.regions)} regions ({', '.join(spec.regions)}): every stack instance would use that one",
            "write ${aws.region} for the stack's own region, or the bare name"))
    accounts = len(spec.accounts) > 1 or spec.organizational_units is not None
    if found.account and accounts:
        problems.append(source.diagnostic(
            HARD_CODED, path, f"the ARN names account {found.account}, but the service deploys to several "
            "accounts: every stack instance would use that one", "write ${aws.account_id} for the stack's own "
            "account, or the bare name"))
    return problems


def _network(spec: Any, source: SourceFile) -> list[Diagnostic]:
    given = spec.network.existing
    at = ("network", "existing")
    if spec.organizational_units is not None:
        return [source.diagnostic(
            NETWORK, at, "an existing VPC is named by IDs that hold in one account, but the service deploys to the "
            "accounts of organizational units, which are not known when it is compiled", "list the accounts in "
            "`accounts` and give each one's IDs under `by_account`, or let specc create the network (remove "
            "`existing`)", at_key=True)]
    if given.by_account is not None:
        return _by_account(spec, source, given.by_account)
    if len(spec.accounts) > 1:
        return [source.diagnostic(
            NETWORK, at, "an existing VPC is named by IDs that hold in one account, but the service deploys to "
            f"{len(spec.accounts)}", "give each account's IDs under `by_account`", at_key=True)]
    if given.by_region is None and len(spec.regions) > 1:
        return [source.diagnostic(
            NETWORK, at, f"an existing VPC is named by IDs that hold in one region, but the service deploys to "
            f"{len(spec.regions)}", "give each region's IDs under `by_region`", at_key=True)]
    if given.by_region is not None:
        return _regions_given(spec, source, at + ("by_region",), given.by_region, "`by_region`")
    return []


def _regions_given(spec: Any, source: SourceFile, path: tuple[Any, ...], by_region: dict[str, Any],
                   what: str) -> list[Diagnostic]:
    if sorted(by_region) == sorted(spec.regions):
        return []
    missing = sorted(set(spec.regions) - set(by_region))
    extra = sorted(set(by_region) - set(spec.regions))
    wrong = ([f"no IDs for {', '.join(missing)}"] if missing else []) + (
        [f"IDs for {', '.join(extra)}, which `regions` does not list"] if extra else [])
    return [source.diagnostic(NETWORK, path, f"{what} gives " + " and ".join(wrong),
                              "give exactly the service's regions: " + ", ".join(spec.regions), at_key=True)]


def _by_account(spec: Any, source: SourceFile, by_account: dict[str, Any]) -> list[Diagnostic]:
    """Every account of `accounts`, in every region of `regions`, has the existing VPC's IDs, and no other."""
    import difflib

    at = ("network", "existing", "by_account")
    if not spec.accounts:
        return [source.diagnostic(
            ACCOUNTS_UNKNOWN, at, "`by_account` gives IDs per account, but the service names no `accounts` (it "
            "deploys to the account that runs the rollout, which is not known when it is compiled)",
            "list the accounts in `accounts`, or give the one account's IDs without `by_account`", at_key=True)]
    found = []
    for account, ids in sorted(by_account.items()):
        if account not in spec.accounts:
            guess = difflib.get_close_matches(account, spec.accounts, n=1)
            found.append(source.diagnostic(
                NOT_DEPLOYED, at + (account,), f"account {account} is not one of the service's `accounts` ("
                f"{', '.join(spec.accounts)})" + (f"; did you mean '{guess[0]}'?" if guess else ""),
                "give IDs for the accounts the service deploys to", at_key=True))
        elif ids.by_region is None and len(spec.regions) > 1:
            found.append(source.diagnostic(
                NO_REGION, at + (account,), f"account {account}'s IDs hold in one region, but the service deploys "
                f"to {len(spec.regions)}", f"give its IDs for each of {', '.join(spec.regions)} under `by_region`",
                at_key=True))
        elif ids.by_region is not None:
            extra = sorted(set(ids.by_region) - set(spec.regions))
            for region in extra:
                guess = difflib.get_close_matches(region, spec.regions, n=1)
                found.append(source.diagnostic(
                    NOT_DEPLOYED, at + (account, "by_region", region), f"{region} is not one of the service's "
                    f"regions ({', '.join(spec.regions)})" + (f"; did you mean '{guess[0]}'?" if guess else ""),
                    "give IDs for the regions the service deploys to", at_key=True))
    missing = [f"{account} in {region}" for account in spec.accounts for region in spec.regions
               if account not in by_account or (by_account[account].by_region is not None
                                                and region not in by_account[account].by_region)]
    if missing:
        found.append(source.diagnostic(
            MISSING_IDS, at, f"`by_account` has no IDs for {', '.join(missing)}: a stack instance there would "
            "have no subnets to run the functions in", "give the existing VPC's IDs of every account of "
            "`accounts` in every region of `regions`", at_key=True))
    return found


def _built_on(spec: Any, source: SourceFile) -> list[Diagnostic]:
    """A reference that would build on an existing entry (consume it, trigger from it, encrypt with it)."""
    from specc.checks.references import all_references
    from specc.kinds import BY_SECTION
    from specc.kinds.existing import FORMS, is_existing

    found = []
    for ref in all_references(spec):
        # Alarms notify an existing topic by ARN; an event rule listens on an existing bus (the rule is ours).
        if ref.section not in FORMS or ref.relation in ("uses", "notifies", "listens"):
            continue
        target = (getattr(spec, ref.section, None) or {}).get(ref.target)
        if target is None or not is_existing(target):
            continue
        section = getattr(spec, ref.path[0], None)
        source_entry = section.get(ref.path[1]) if isinstance(section, dict) and len(ref.path) > 1 else None
        if ref.path[-1] == "encryption" and source_entry is not None and is_existing(source_entry):
            continue  # an existing entry's key: what `uses` grants on
        singular = BY_SECTION[ref.section].singular
        found.append(source.diagnostic(
            BUILT_ON, ref.path, f"{singular} '{ref.target}' exists already (`existing:`): specc creates nothing "
            f"for it, so nothing it builds can be wired to it here",
            "functions may `use` it and values may name it (`${" + f"{ref.section}.{ref.target}.arn" + "}`); "
            f"otherwise declare a {singular} specc creates"))
    return found


def _default_keys(spec: Any, source: SourceFile) -> list[Diagnostic]:
    """What specc creates is encrypted with the default key and log groups with the logs key: keys of ours."""
    from specc.kinds.existing import is_existing

    found = []
    for field, key in (("key", spec.default_key()), ("logs_key", spec.defaults.logs_key or spec.default_key())):
        entry = spec.keys.get(key)
        if entry is not None and is_existing(entry):
            set_here = getattr(spec.defaults, field) is not None
            found.append(source.diagnostic(
                DEFAULT_KEY, ("defaults", field) if set_here else ("keys", key),
                f"key '{key}' exists already (`existing:`), but it would be `defaults.{field}`, which encrypts what "
                "specc creates (its key policy names who uses it)", "declare a key specc creates and name it in "
                f"`defaults.{field}`", at_key=not set_here))
            break
    return found
