"""boto3 sessions as users configure them, and AWS's refusals turned into one line each.

boto3 already honours profiles, regions and `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`), so
the same code runs against AWS and a local emulator. Another account is reached by assuming a role in
it (the StackSet execution role by default), which moto server supports too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    CredentialRetrievalError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.parsers import ResponseParserError

# A refused connection should fail in seconds, not after botocore's default of five attempts.
CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=120)
EXECUTION_ROLE = "AWSCloudFormationStackSetExecutionRole"
DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
          "UnauthorizedException", "Forbidden", "403"}
BAD_CREDENTIALS = {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "ExpiredToken",
                   "ExpiredTokenException", "InvalidAccessKeyId", "RequestExpired"}
NO_CREDENTIALS = ("no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                  "(or run `aws configure`)")


class AwsError(Exception):
    """Something AWS (or the emulator) refused or that failed there: shown as one line, exit code 6."""


@dataclass
class Aws:
    """One account's session; clients are cached per service and region."""

    session: boto3.Session
    default_region: str | None = None
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    _identity: dict[str, str] | None = None

    @classmethod
    def connect(cls, profile: str | None = None, region: str | None = None) -> Aws:
        try:
            session = boto3.Session(profile_name=profile)
        except ProfileNotFound as exc:
            raise AwsError(f"AWS profile '{exc.kwargs.get('profile', profile)}' is not in your AWS config files") \
                from None
        return cls(session, region or session.region_name)

    def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.default_region
        if not region:
            raise AwsError("no AWS region: pass --region or set AWS_DEFAULT_REGION")
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=region, config=CONFIG)
        return self._clients[key]

    def identity(self) -> dict[str, str]:
        if self._identity is None:
            with explained("reading the caller identity (sts:GetCallerIdentity)"):
                self._identity = self.client("sts", self.default_region or "us-east-1").get_caller_identity()
        return self._identity

    @property
    def account(self) -> str:
        return self.identity()["Account"]

    @property
    def partition(self) -> str:
        return self.identity()["Arn"].split(":")[1]

    def in_account(self, account: str, role_name: str = EXECUTION_ROLE) -> Aws:
        """This session, or one in `account` through the role `role_name` there."""
        if account == self.account:
            return self
        role = f"arn:{self.partition}:iam::{account}:role/{role_name}"
        with explained(f"assuming {role} (sts:AssumeRole)"):
            credentials = self.client("sts").assume_role(RoleArn=role, RoleSessionName="specc")["Credentials"]
        session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                                aws_secret_access_key=credentials["SecretAccessKey"],
                                aws_session_token=credentials["SessionToken"])
        return Aws(session, self.default_region)

    def emulator_endpoint(self, region: str) -> str | None:
        """The endpoint S3 is reached at when it is not AWS (a local emulator), as CloudFormation must read it:
        moto resolves template URLs only on `localhost`, so 127.0.0.1 becomes localhost."""
        url = self.client("s3", region).meta.endpoint_url
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host.endswith((".amazonaws.com", ".amazonaws.com.cn")) or host == "amazonaws.com":
            return None
        netloc = parts.netloc.replace("127.0.0.1", "localhost")
        return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


@contextlib.contextmanager
def explained(doing: str) -> Iterator[None]:
    """Turn botocore's exceptions into an AwsError that says what was being done, in one line."""
    try:
        yield
    except AwsError:
        raise
    except ClientError as exc:
        raise AwsError(describe_client_error(exc, doing)) from None
    except (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError):
        raise AwsError(NO_CREDENTIALS) from None
    except NoRegionError:
        raise AwsError("no AWS region: pass --region or set AWS_DEFAULT_REGION") from None
    except ConnectionError as exc:
        endpoint = getattr(exc, "kwargs", {}).get("endpoint_url") or "the AWS endpoint"
        raise AwsError(f"cannot reach {endpoint} while {doing}: check the network, the region and AWS_ENDPOINT_URL") \
            from None
    except BotoCoreError as exc:
        raise AwsError(f"{exc} (while {doing})") from None
    except ResponseParserError as exc:  # an endpoint that is not (or not quite) an AWS API
        text = " ".join(str(exc).split())
        raise AwsError(f"unreadable answer while {doing}: {text[:300]}") from None


def describe_client_error(exc: ClientError, doing: str) -> str:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "")) or str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    message = str(error.get("Message") or "").strip()
    if code in BAD_CREDENTIALS:
        return f"AWS rejected the credentials ({code}) while {doing}: {message or 'check them or refresh them'}"
    if code in DENIED:
        return f"access denied while {doing}: {message or 'the caller lacks the permission'}"
    return f"{code or 'AWS error'} while {doing}: {message or exc}"
