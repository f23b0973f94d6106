"""A distribution's `web_acl` that names a spec entry names a web ACL CloudFront can use: `scope: cloudfront`.

Unknown names are the references check's (E201); a REGIONAL web ACL protects an API stage, and CloudFront refuses
it, so naming one is an error that suggests the spec's CLOUDFRONT-scope entries."""

from __future__ import annotations

import difflib
from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E410"
DESCRIPTION = "a distribution's web ACL named by entry has `scope: cloudfront`"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    cdn = getattr(spec, "cdn", None) or {}
    if not cdn:
        return []
    from specc.kinds.cdn import is_web_acl_name

    acls = getattr(spec, "waf", None) or {}
    usable = sorted(name for name, acl in acls.items() if acl.scope == "cloudfront")
    found = []
    for name, distribution in cdn.items():
        target = distribution.web_acl
        if not is_web_acl_name(target) or target not in acls or acls[target].scope == "cloudfront":
            continue
        guess = difflib.get_close_matches(target, usable, n=1, cutoff=0.0)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        found.append(source.diagnostic(
            ID, ("cdn", name, "web_acl"), f"web ACL '{target}' has scope regional: CloudFront needs a web ACL with "
            f"`scope: cloudfront`{hint}",
            f"CLOUDFRONT-scope web ACLs of the spec: {', '.join(usable) or 'none'}; or give `scope: cloudfront` to "
            f"waf.{target} (if it protects no API), an ARN, or `none`"))
    return found
