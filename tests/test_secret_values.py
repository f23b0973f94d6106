"""No secret in clear (checks/secret_values.py): credential-looking values in anything a spec copies into a template
are located errors (E254) that never echo the secret, a value declared in `security.not_secret` compiles and shows
in the template's Metadata, and a declaration that excuses nothing is an error (E255).

The credentials below are fakes in the real formats (AWS's documentation example key, made-up tokens).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from specc.checks.secret_values import high_entropy, mask, scan
from specc.cli.app import main

BASE = {"specc": 1, "service": "shop", "environment": "dev", "regions": ["eu-west-1"],
        "functions": {"api": {"handler": "handlers/app.py:handler", "environment": {"CURRENCY": "EUR"}}}}
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgwMbRvI0MBZhpF\n"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
SECRETS = {  # what, value, the part that is the secret
    "aws_access_key": ("an AWS access key ID", "AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    "aws_secret_key": ("a generated key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    "github": ("a GitHub token", "ghp_Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXcVb",
               "ghp_Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXcVb"),
    "slack": ("a Slack token", "xoxb-263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1",
              "xoxb-263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1"),
    "stripe": ("a Stripe key", "sk_live_51Hq2bLKf8sT0aQmZpXv3Yc9W", "sk_live_51Hq2bLKf8sT0aQmZpXv3Yc9W"),
    "pem": ("a private key", PEM, "-----BEGIN RSA PRIVATE KEY-----"),
    "url_password": ("a password in a URL", "postgres://app:Tr0ub4dor-and-3@db.internal:5432/shop", "Tr0ub4dor-and-3"),
    "jwt": ("a JSON Web Token", JWT, JWT),
}


def project(tmp_path: Path, spec: dict) -> Path:
    (tmp_path / "handlers").mkdir(exist_ok=True)
    (tmp_path / "handlers" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, width=1000))
    return path


def with_value(where: str, value: str) -> dict:
    spec = json.loads(json.dumps(BASE))
    if where == "environment":
        spec["functions"]["api"]["environment"]["UPSTREAM"] = value
    elif where == "tag":
        spec["tags"] = {"Owner": "team", "Deploy": value}
    else:
        spec["functions"]["api"]["description"] = f"calls the partner with {value}"
    return spec


FIELD = {"environment": "functions.api.environment.UPSTREAM", "tag": "tags.Deploy",
         "description": "functions.api.description"}


@pytest.mark.parametrize("where", ["environment", "tag", "description"])
@pytest.mark.parametrize("case", sorted(SECRETS))
def test_a_credential_is_a_located_error_that_never_shows_it(runner, tmp_path, case: str, where: str) -> None:
    what, value, secret = SECRETS[case]
    if case == "pem" and where == "tag":
        pytest.skip("a tag value cannot hold a line break: validation refuses it first")
    path = project(tmp_path, with_value(where, value))
    for command in ("validate", "compile"):
        result = runner.invoke(main, [command, str(path), "--out", str(tmp_path / "out")][:2 if command == "validate"
                                                                                            else 4])
        assert result.exit_code == 1, result.output
        first, summary = result.output.splitlines()
        assert f" E254 {FIELD[where]}: looks like {what} (" in first and summary == "1 error; nothing was written."
        assert "`secrets:`" in first and "`security.not_secret`" in first
        assert secret[4:] not in result.output and value not in result.output  # masked: its first characters at most
    assert not (tmp_path / "out").exists()


def test_the_environment_hint_points_at_secrets_and_uses(runner, tmp_path) -> None:
    path = project(tmp_path, with_value("environment", "AKIAIOSFODNN7EXAMPLE"))
    line = runner.invoke(main, ["validate", str(path)]).output.splitlines()[0]
    assert line == (f"{path}:11:17 E254 functions.api.environment.UPSTREAM: looks like an AWS access key ID "
                    "('AKIA…', 20 "
                    "characters), which would be written in clear into the committed template (declare the secret in "
                    "`secrets:` and give the function `uses: {secrets: {NAME: read}}`: its environment gets the "
                    "secret's ARN, never the value; if the value is not a secret, say so in `security.not_secret` with "
                    "the reason)")


@pytest.mark.parametrize("name, value, flagged", [
    ("DB_PASSWORD", "correct-horse", True),
    ("JWT_SECRET", "changeme", True),
    ("STRIPE_API_KEY", "not-telling-you", True),
    ("TOKEN_TTL", "3600", False),
    ("SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:111111111111:secret:db", False),
    ("API_KEY_HEADER", "x-api-key", False),
    ("PASSWORD_MIN_LENGTH", "12", False),
    ("TOKEN_REQUIRED", "true", False),
])
def test_a_variable_named_like_a_credential_may_not_hold_a_literal(name: str, value: str, flagged: bool) -> None:
    assert bool(scan({"functions": {"f": {"environment": {name: value}}}})) is flagged


@pytest.mark.parametrize("value", [
    "EUR", "https://api.example.com/v1/payments/refunds", "arn:aws:kms:eu-west-1:111111111111:key/"
    "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "payments-oncall@example.com", "cron(0 12 * * ? *)",
    "handlers/payments/create.py:handler", "Creates a payment and publishes a PaymentCreated event to the bus",
    "internationalization-and-localization", "s3://shop-artifacts-111111111111/code/", "12345678901234567890123",
    "https://user@example.com/path", "redis://cache.internal:6379/0",
])
def test_ordinary_values_are_not_flagged(value: str) -> None:
    data = {"tags": {"T": value}, "functions": {"f": {"description": value, "environment": {"V": value}}}}
    assert scan(data) == []


def test_high_entropy_uses_detect_secrets_limits() -> None:
    assert high_entropy("d41d8cd98f00b204e9800998ecf8427e") == "d41d8cd98f00b204e9800998ecf8427e"  # hex, 3.0+
    assert high_entropy("aaaaaaaaaaaaaaaaaaaaaaaaaaaa") is None
    assert high_entropy("short+Key/9") is None  # fewer than 20 characters


def test_the_mask_never_shows_more_than_four_characters() -> None:
    assert mask("AKIAIOSFODNN7EXAMPLE") == "'AKIA…', 20 characters"
    assert mask("hunter2pass") == "'…', 11 characters"  # a short secret: nothing of it


def test_a_value_declared_not_secret_compiles_and_the_template_says_so(runner, tmp_path) -> None:
    spec = with_value("environment", "d41d8cd98f00b204e9800998ecf8427e")
    spec["security"] = {"not_secret": {"functions.api.environment.UPSTREAM": "the md5 of an empty file, a fixture"}}
    path = project(tmp_path, spec)
    result = runner.invoke(main, ["compile", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    template = json.loads((tmp_path / "out" / "service.json").read_text())
    assert template["Metadata"]["specc"]["not_secret"] == [
        {"field": "functions.api.environment.UPSTREAM", "reason": "the md5 of an empty file, a fixture"}]


def test_a_not_secret_declaration_that_excuses_nothing_is_an_error(runner, tmp_path) -> None:
    spec = json.loads(json.dumps(BASE))
    spec["security"] = {"not_secret": {"functions.api.environment.CURRENCY": "a currency code, public"}}
    result = runner.invoke(main, ["validate", str(project(tmp_path, spec))])
    assert result.exit_code == 1
    assert " E255 security.not_secret.'functions.api.environment.CURRENCY': 'functions.api.environment.CURRENCY' " \
           "is declared not secret, but no value there looks like one" in result.output


def test_the_reason_for_not_secret_is_required(runner, tmp_path) -> None:
    spec = with_value("environment", "AKIAIOSFODNN7EXAMPLE")
    spec["security"] = {"not_secret": {"functions.api.environment.UPSTREAM": "ok"}}
    result = runner.invoke(main, ["validate", str(project(tmp_path, spec))])
    assert result.exit_code == 1 and " E102 security.not_secret.'functions.api.environment.UPSTREAM': " in \
        result.output, result.output
