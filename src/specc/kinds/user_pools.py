"""Cognito user pools: the users of an API, with app clients whose tokens its authorizers accept.

Secure by default, each default an explicit, visible opt-out: sign-in by verified email, administrators create
users (no open sign-up), MFA required (TOTP), a 12-character password policy with history, threat protection
(advanced security) enforced on the Plus feature plan, deletion protection, account recovery by verified email
only, user-existence errors hidden, and token revocation on every app client. A client `secret: true` is a
confidential (server-side) client; a browser or mobile client has none (it could not keep it).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from troposphere import Ref, Sub, cognito

from specc.build.context import BuildContext
from specc.build.naming import camel, logical_id
from specc.kinds.base import Kind, NameRule, getatt_attribute, ref_attribute
from specc.language.types import Name, SpecModel

FLOWS = {"srp": "ALLOW_USER_SRP_AUTH", "password": "ALLOW_USER_PASSWORD_AUTH", "custom": "ALLOW_CUSTOM_AUTH",
         "refresh": "ALLOW_REFRESH_TOKEN_AUTH"}


Flow = Literal["srp", "password", "custom"]

class PasswordPolicy(SpecModel):
    """What a password must be."""

    min_length: int = Field(12, ge=8, le=99, description="Minimum length.", examples=[14])
    require_lowercase: bool = Field(True, description="At least one lower case letter.", examples=[True])
    require_uppercase: bool = Field(True, description="At least one upper case letter.", examples=[True])
    require_numbers: bool = Field(True, description="At least one digit.", examples=[True])
    require_symbols: bool = Field(True, description="At least one symbol.", examples=[True])
    history: int = Field(5, ge=0, le=24, description="Earlier passwords a user may not reuse.", examples=[5])
    temporary_password_days: int = Field(3, ge=1, le=365, description="Days an administrator's temporary password "
                                         "stays valid.", examples=[3])


class AppClient(SpecModel):
    """An application that signs users in; its ID is an audience of the pool's authorizers."""

    secret: bool = Field(False, description="A confidential client with a client secret (a server); browsers and "
                         "mobile apps cannot keep one.", examples=[True])
    flows: list[Flow] = Field(
        default_factory=lambda: list[Flow](["srp"]), min_length=1,
        description="Sign-in flows (refresh tokens are always allowed): `srp` (the password never leaves the "
                    "client), `password` (sent to Cognito over TLS), `custom`.",
        examples=[["srp"]])
    access_token_minutes: int = Field(60, ge=5, le=1440, description="Lifetime of access and ID tokens.",
                                      examples=[60])
    refresh_token_days: int = Field(30, ge=1, le=3650, description="Lifetime of refresh tokens.", examples=[30])


class UserPoolSpec(SpecModel):
    """A Cognito user pool and its app clients."""

    sign_in: Literal["email", "username"] = Field("email", description="What users sign in with (`email` is "
                                                  "verified before use).", examples=["email"])
    self_sign_up: bool = Field(False, description="Let anyone create an account; default: administrators create "
                               "users.", examples=[True])
    mfa: Literal["required", "optional", "off"] = Field("required", description="Multi-factor authentication "
                                                        "(authenticator apps, TOTP).", examples=["optional"])
    password: PasswordPolicy = Field(default_factory=PasswordPolicy, description="The password policy.")
    advanced_security: Literal["enforced", "audit", "off"] = Field(
        "enforced", description="Threat protection (compromised credentials, adaptive authentication) on the Plus "
        "feature plan; `off` uses the Essentials plan.", examples=["audit"])
    deletion_protection: bool = Field(True, description="Refuse to delete the pool (and its users) until this is "
                                      "turned off.", examples=[True])
    clients: dict[Name, AppClient] = Field(min_length=1, description="App clients, by name.",
                                           examples=[{"web": {}, "backend": {"secret": True}}])


def pool_id(name: str) -> str:
    return logical_id(name, "UserPool")


def client_id(pool: str, client: str) -> str:
    return f"{camel(pool)}{camel(client)}UserPoolClient"


def build(ctx: BuildContext, name: str, spec: UserPoolSpec) -> None:
    origin = ("user_pools", name)
    policy = spec.password
    pool = cognito.UserPool(
        pool_id(name),
        UserPoolName=ctx.physical(name),
        MfaConfiguration={"required": "ON", "optional": "OPTIONAL", "off": "OFF"}[spec.mfa],
        Policies=cognito.Policies(PasswordPolicy=cognito.PasswordPolicy(
            MinimumLength=policy.min_length, RequireLowercase=policy.require_lowercase,
            RequireUppercase=policy.require_uppercase, RequireNumbers=policy.require_numbers,
            RequireSymbols=policy.require_symbols, PasswordHistorySize=policy.history,
            TemporaryPasswordValidityDays=policy.temporary_password_days)),
        AdminCreateUserConfig=cognito.AdminCreateUserConfig(AllowAdminCreateUserOnly=not spec.self_sign_up),
        UserPoolTier="ESSENTIALS" if spec.advanced_security == "off" else "PLUS",
        DeletionProtection="ACTIVE" if spec.deletion_protection else "INACTIVE",
    )
    if spec.mfa != "off":
        pool.EnabledMfas = ["SOFTWARE_TOKEN_MFA"]
    if spec.advanced_security != "off":
        pool.UserPoolAddOns = cognito.UserPoolAddOns(AdvancedSecurityMode=spec.advanced_security.upper())
    # Every default the spec turns down is written into the template, where a reviewer sees it.
    for control, weaker in (("mfa_required", spec.mfa != "required"),
                            ("advanced_security_enforced", spec.advanced_security != "enforced"),
                            ("deletion_protection", not spec.deletion_protection),
                            ("admin_only_sign_up", spec.self_sign_up)):
        if weaker:
            field = {"mfa_required": "mfa", "advanced_security_enforced": "advanced_security",
                     "admin_only_sign_up": "self_sign_up"}.get(control, control)
            ctx.opt_out(pool, control, origin + (field,))
    if spec.sign_in == "email":
        pool.UsernameAttributes = ["email"]
        pool.AutoVerifiedAttributes = ["email"]
        pool.AccountRecoverySetting = cognito.AccountRecoverySetting(RecoveryMechanisms=[
            cognito.RecoveryOption(Name="verified_email", Priority=1)])
    else:
        pool.AccountRecoverySetting = cognito.AccountRecoverySetting(RecoveryMechanisms=[
            cognito.RecoveryOption(Name="admin_only", Priority=1)])
    ctx.add(pool, origin)

    for client_name, client in sorted(spec.clients.items()):
        ctx.add(cognito.UserPoolClient(
            client_id(name, client_name),
            UserPoolId=Ref(pool_id(name)),
            ClientName=client_name,
            GenerateSecret=client.secret,
            ExplicitAuthFlows=sorted({FLOWS[flow] for flow in client.flows} | {FLOWS["refresh"]}),
            PreventUserExistenceErrors="ENABLED",
            EnableTokenRevocation=True,
            AccessTokenValidity=client.access_token_minutes,
            IdTokenValidity=client.access_token_minutes,
            RefreshTokenValidity=client.refresh_token_days,
            TokenValidityUnits=cognito.TokenValidityUnits(AccessToken="minutes", IdToken="minutes",
                                                          RefreshToken="days"),
        ), origin + ("clients", client_name))
        ctx.output(f"{client_id(name, client_name)}Id", Ref(client_id(name, client_name)),
                   f"ID of app client {client_name} of user pool {name}")
    ctx.output(f"{pool_id(name)}Id", Ref(pool_id(name)), f"ID of user pool {name}")
    ctx.output(f"{pool_id(name)}Issuer", Sub(f"https://cognito-idp.${{AWS::Region}}.amazonaws.com/${{{pool_id(name)}}}"),
               f"Token issuer of user pool {name}")


def names(spec: Any, name: str, entry: UserPoolSpec) -> list[NameRule]:
    return [NameRule("user pool name", spec.physical(name), 128, r"^[\w\s+=,.@-]+$")]


KIND = Kind(
    section="user_pools",
    singular="user pool",
    model=UserPoolSpec,
    description="Cognito user pools (sign-in by email, MFA, threat protection, deletion protection) and their app "
                "clients, for the API's `cognito` authorizers.",
    build=build,
    names=names,
    attributes={"arn": getatt_attribute("UserPool", "Arn", "ARN of the user pool"),
                "id": ref_attribute("UserPool", "ID of the user pool"),
                "provider_url": getatt_attribute("UserPool", "ProviderURL", "issuer URL of the user pool's tokens")},
)
