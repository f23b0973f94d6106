"""What a deployment reads from the artifact bucket, and uploading it there.

Every object is content-addressed (code by the hash of its files, templates by the sha256 of their
bytes), so an object already there is never uploaded again and a deployed stack's objects never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from specc.aws.session import Aws, AwsError, explained
from specc.output.rollout import template_key

if TYPE_CHECKING:
    from specc.output.compiled import Compiled

SERVICE_TEMPLATE = "service.json"
NESTED = "nested/"


@dataclass(frozen=True)
class Upload:
    key: str
    body: bytes
    what: str  # for messages: "code of create_payment", "nested/orders.json"


def service_template(compiled: Compiled) -> Upload:
    """The root service template as it is uploaded and referenced (the JSON rendering)."""
    from specc.output.emit import render_json

    body = render_json(compiled.templates[SERVICE_TEMPLATE])
    return Upload(template_key(compiled.spec.service, body), body, SERVICE_TEMPLATE)


def dependencies(compiled: Compiled) -> list[Upload]:
    """What the service template's resources read in each region: function code, layers and nested templates.

    Zipping installs a code directory's dependencies unless the cache holds them (build/dependencies.py)."""
    from specc.output.emit import rendered_files

    service = compiled.spec.service
    found: dict[str, Upload] = {}
    for function, artifact in sorted(compiled.artifacts.items()):
        key = f"{service}/{artifact.s3_key}"
        if key not in found:
            found[key] = Upload(key, artifact.zip_bytes(), f"code of {function}")
    for layer, artifact in sorted(compiled.layer_artifacts.items()):
        key = f"{service}/{artifact.s3_key}"
        if key not in found:
            found[key] = Upload(key, artifact.zip_bytes(), f"content of layer {layer}")
    for name, body in sorted(rendered_files(compiled, "json").items()):
        if name.startswith(NESTED):
            key = template_key(service, body)
            found.setdefault(key, Upload(key, body, name))
    return list(found.values())


def require_bucket(aws: Aws, bucket: str, region: str, spec: str) -> None:
    """A missing artifact bucket means bootstrap has not run there: say so instead of failing later."""
    s3 = aws.client("s3", region)
    with explained(f"checking the artifact bucket {bucket} in {region}"):
        try:
            s3.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) not in ("404", "NoSuchBucket", "NotFound"):
                raise
            raise AwsError(f"the artifact bucket {bucket} does not exist in account {aws.account}, {region}: run "
                           f"`specc bootstrap {spec}` first") from None


def upload(aws: Aws, bucket: str, region: str, uploads: list[Upload]) -> int:
    """Put every object not already in `bucket`; returns how many were uploaded."""
    s3 = aws.client("s3", region)
    sent = 0
    for item in uploads:
        if _exists(s3, bucket, item.key):
            continue
        with explained(f"uploading {item.what} to s3://{bucket}/{item.key}"):
            s3.put_object(Bucket=bucket, Key=item.key, Body=item.body)
        sent += 1
    return sent


def _exists(s3: object, bucket: str, key: str) -> bool:
    with explained(f"looking for s3://{bucket}/{key}"):
        try:
            s3.head_object(Bucket=bucket, Key=key)  # type: ignore[attr-defined]
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True
