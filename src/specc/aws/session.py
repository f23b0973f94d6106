"""boto3 sessions as users configure them, and AWS's refusals turned into one line each.

boto3 already honours profiles, regions and `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`), so
the same code runs against AWS and a local emulator. Another account is reached by assuming a role in
it (the StackSet execution role by default), which moto server supports too.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectionError,
    CredentialRetrievalError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

# Every call is bounded: a connection in CONNECT_TIMEOUT seconds, each answer in READ_TIMEOUT, at most
# MAX_ATTEMPTS tries (botocore's "standard" mode retries throttling, 5xx answers and timeouts with backoff).
# The API calls specc makes answer in well under a second on AWS (CloudFormation works asynchronously and is
# polled), so 30 s of silence is an endpoint that will not answer: a silent endpoint ends a command in about
# MAX_ATTEMPTS x READ_TIMEOUT (90 s), not botocore's default of 60 s x 5 tries per call. The SPECC_AWS_*
# variables change them (the tests use a second).
CONNECT_TIMEOUT, READ_TIMEOUT, MAX_ATTEMPTS = 5.0, 30.0, 3
SETTINGS = {"SPECC_AWS_CONNECT_TIMEOUT": "connect_timeout", "SPECC_AWS_READ_TIMEOUT": "read_timeout",
            "SPECC_AWS_MAX_ATTEMPTS": "max_attempts"}
EXECUTION_ROLE = "AWSCloudFormationStackSetExecutionRole"
DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
          "UnauthorizedException", "Forbidden", "403"}
BAD_CREDENTIALS = {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "ExpiredToken",
                   "ExpiredTokenException", "InvalidAccessKeyId", "RequestExpired"}
NO_CREDENTIALS = ("no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                  "(or run `aws configure`)")


class AwsError(Exception):
    """Something AWS (or the emulator) refused or that failed there: shown as one line, exit code 6."""


def client_config() -> Config:
    """The timeouts and retries of every client, from the defaults above or the SPECC_AWS_* variables."""
    values: dict[str, float] = {"connect_timeout": CONNECT_TIMEOUT, "read_timeout": READ_TIMEOUT,
                                "max_attempts": MAX_ATTEMPTS}
    for variable, name in SETTINGS.items():
        text = os.environ.get(variable)
        if text is None:
            continue
        try:
            value = float(text) if name != "max_attempts" else int(text)
        except ValueError:
            value = 0
        if not value > 0 or value > 3600:
            raise AwsError(f"{variable}={text!r} is not a number of {'tries' if name == 'max_attempts' else 'seconds'} "
                           "between 1 and 3600")
        values[name] = value
    return Config(connect_timeout=values["connect_timeout"], read_timeout=values["read_timeout"],
                  retries={"total_max_attempts": int(values["max_attempts"]), "mode": "standard"})


def _refuse_html(endpoint: str, operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    """An endpoint that answers an HTML page (a captive portal, a proxy's error page, a web server at the wrong
    URL) is not an AWS API: say so, instead of the KeyError botocore's parser ends in on such a body. 5xx answers
    are left to botocore, which retries them."""
    headers = {k.lower(): v for k, v in (response_dict.get("headers") or {}).items()}
    status = int(response_dict.get("status_code") or 0)
    if status >= 500 or getattr(operation_model, "has_streaming_output", False):
        return
    body = response_dict.get("body") or b""
    head = body[:512].lstrip().lower() if isinstance(body, bytes) else b""
    # A page, not an empty answer labelled text/html (moto labels PutObject's empty answer so).
    looks_html = head.startswith((b"<!doctype html", b"<html")) or (
        "text/html" in headers.get("content-type", "") and any(tag in head for tag in (b"<html", b"<body", b"<head")))
    if looks_html:
        title = re.search(rb"<title>([^<]{1,80})</title>", body[:4096], re.IGNORECASE) if isinstance(body, bytes) \
            else None
        named = f", titled '{title.group(1).decode(errors='replace').strip()}'" if title else ""
        raise AwsError(f"{endpoint} answered an HTML page (HTTP {status}{named}), not an AWS API response, to "
                       f"{operation_model.name}: check AWS_ENDPOINT_URL, the region and any proxy")


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
            self._clients[key] = make_client(self.session, service, region)
        return self._clients[key]

    def identity(self) -> dict[str, str]:
        if self._identity is None:
            with explained("reading the caller identity (sts:GetCallerIdentity)"):
                self._identity = self.client("sts", self.default_region or "us-east-1").get_caller_identity()
        return self._identity

    @property
    def account(self) -> str:
        with explained("reading the caller identity (sts:GetCallerIdentity)"):
            return self.identity()["Account"]

    @property
    def partition(self) -> str:
        with explained("reading the caller identity (sts:GetCallerIdentity)"):
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
        url: str = self.client("s3", region).meta.endpoint_url
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host.endswith((".amazonaws.com", ".amazonaws.com.cn")) or host == "amazonaws.com":
            return None
        netloc = parts.netloc.replace("127.0.0.1", "localhost")
        return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def make_client(session: boto3.Session, service: str, region: str) -> Any:
    """A client with bounded timeouts and retries that refuses HTML answers (every client specc makes)."""
    # a service named at run time: boto3-stubs' overloads each want a literal name
    client: Any = session.client(cast(Any, service), region_name=region, config=client_config())
    client.meta.events.register("before-parse", functools.partial(_refuse_html, client.meta.endpoint_url))
    return client


_ANSWER_ERRORS = (KeyError, IndexError, TypeError, AttributeError)


@contextlib.contextmanager
def explained(doing: str, *, answers: bool = True) -> Iterator[None]:
    """Turn botocore's exceptions into an AwsError that says what was being done, in one line.

    A KeyError (IndexError, TypeError, AttributeError) is an answer that lacks what AWS documents when it is
    raised inside botocore or specc.aws (code that reads answers), or inside a block that only reads an answer
    (`answers`, the default: such blocks wrap one call and its result). The command-wide block
    (cli_aws.aws_errors) passes answers=False, so a bug elsewhere in specc still reads as one (exit 70)."""
    try:
        yield
    except AwsError:
        raise
    except ReadTimeoutError as exc:
        endpoint = getattr(exc, "kwargs", {}).get("endpoint_url") or "the AWS endpoint"
        config: Any = client_config()  # botocore-stubs' Config does not declare what it sets from its arguments
        attempts = config.retries["total_max_attempts"]
        raise AwsError(f"no answer from {endpoint} within {config.read_timeout:g} s ({attempts} tries) while "
                       f"{doing}: check the network, the region and AWS_ENDPOINT_URL") from None
    except ConnectionClosedError as exc:
        endpoint = getattr(exc, "kwargs", {}).get("endpoint_url") or "the AWS endpoint"
        raise AwsError(f"{endpoint} closed the connection without answering while {doing}: check the network, the "
                       "region and AWS_ENDPOINT_URL") from None
    except _ANSWER_ERRORS as exc:
        if not (answers or _raised_reading_answers(exc)):
            raise
        raise AwsError(f"unexpected answer while {doing}: it lacks what AWS documents "
                       f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]}); check AWS_ENDPOINT_URL "
                       "and the region") from None
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


def _raised_reading_answers(exc: BaseException) -> bool:
    """The exception comes from code that reads AWS's answers: botocore or boto3 (parsing them), or specc.aws
    (whose modules do nothing else), not from the rest of specc."""
    traceback = exc.__traceback__
    last = None
    while traceback is not None:
        last = traceback.tb_frame.f_code.co_filename
        traceback = traceback.tb_next
    parts = Path(last or "").parts
    return "botocore" in parts or "boto3" in parts or parts[-3:-1] == ("specc", "aws")


def describe_client_error(exc: ClientError, doing: str) -> str:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "")) or str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    message = str(error.get("Message") or "").strip()
    if code in BAD_CREDENTIALS:
        return f"AWS rejected the credentials ({code}) while {doing}: {message or 'check them or refresh them'}"
    if code in DENIED:
        return f"access denied while {doing}: {message or 'the caller lacks the permission'}"
    return f"{code or 'AWS error'} while {doing}: {message or exc}"
