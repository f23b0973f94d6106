"""The top-level spec model: service-wide fields plus one section per registered kind."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StringConstraints, create_model, model_validator

from specc.build.naming import physical_name
from specc.kinds import REGISTRY, SECTIONS, Entry, kind_of
from specc.kinds.functions import RUNTIMES
from specc.language.limits import Limits
from specc.language.rollout import AccountId, OrganizationalUnits, Rollout
from specc.language.security import SecuritySpec
from specc.language.types import Name, RetentionDays, SpecModel

REGION_PATTERN = r"^(us|eu|ap|sa|ca|me|af|il|mx)-(gov-)?[a-z]+-[0-9]$"
IMPLICIT_KEY = "main"
IMPLICIT_SECTIONS = frozenset({"keys", "monitoring"})  # filled in when a spec leaves them out

Region = Annotated[str, StringConstraints(pattern=REGION_PATTERN),
                   Field(description="An AWS region code like us-east-1.", examples=["us-east-1"])]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\w.:/=+@ -]+$")]
TagValue = Annotated[str, StringConstraints(max_length=256, pattern=r"^[\w.:/=+@ -]*$")]


class Defaults(SpecModel):
    """Service-wide defaults that entries may override."""

    key: Name | None = Field(None, description="The key (from `keys`) for anything that stores data and names none. "
                             "Required when there are several keys.", examples=["data"])
    logs_key: Name | None = Field(None, description="The key for log groups; default: `key`.", examples=["logs"])
    log_retention_days: RetentionDays = Field(365, description="Retention of every log group.", examples=[90])
    runtime: Literal[RUNTIMES] = Field("python3.12", description="Lambda runtime of functions that name none.",  # type: ignore[valid-type]
                                       examples=["python3.12"])


class Artifacts(SpecModel):
    """Where function code is uploaded: one bucket per account and region, `<prefix>-<account>-<region>`."""

    bucket_prefix: str = Field("specc-artifacts", pattern=r"^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$",
                               description="Prefix of the per-account, per-region artifact bucket.",
                               examples=["acme-artifacts"])


class ServiceFields(SpecModel):
    specc: Literal[1] = Field(description="Version of the spec language.", examples=[1])
    extends: str | None = Field(None, min_length=1, description="A base spec this environment spec extends, relative "
                                "to this file: mappings merge, lists and other values replace, `null` removes a "
                                "key (docs/environments.md). Merged in when the spec is loaded.",
                                examples=["service.base.yaml"])
    service: str = Field(pattern=r"^[a-z]([a-z0-9-]*[a-z0-9])?$", min_length=2, max_length=25,
                         description="Service name: 2 to 25 lower case "
                         "letters, digits and hyphens, starting with a letter; the prefix of every physical name.",
                         examples=["payments"])
    environment: str = Field(pattern=r"^[a-z][a-z0-9]*$", min_length=1, max_length=10,
                             description="Environment: 1 to 10 lower case "
                             "letters and digits, starting with a letter; the suffix of every physical name.",
                             examples=["prod"])
    regions: list[Region] = Field(min_length=1, description="AWS region codes like us-east-1: where the "
                                  "service runs (templates are linted for each).",
                                  examples=[["us-east-1", "eu-west-1"]])
    code_root: str = Field(".", min_length=1, description="Directory handler paths are relative to, itself "
                           "relative to the spec file.", examples=[".."])
    tags: dict[TagKey, TagValue] = Field(default_factory=dict, description="Tags on every resource that takes tags.",
                                         examples=[{"Owner": "payments-team"}])
    defaults: Defaults = Field(default_factory=Defaults, description="Service-wide defaults.")
    artifacts: Artifacts = Field(default_factory=Artifacts, description="Where code artifacts live.")
    accounts: list[AccountId] = Field(
        default_factory=list, description="The AWS accounts the StackSet deploys to, in every region; default: the "
        "account that runs the rollout. Quote each id.", examples=[["111111111111", "222222222222"]])
    organizational_units: OrganizationalUnits | None = Field(
        None, description="Instead of `accounts`: every account in these AWS Organizations units (a "
        "service-managed StackSet).", examples=[{"ids": ["ou-ab12-cd34ef56"], "auto_deployment": True}])
    security: SecuritySpec = Field(default_factory=SecuritySpec, description="The policy profile the compiled "
                                   "template must pass, required tags, retention and justified exceptions.",
                                   examples=[{"profile": "pci", "required_tags": ["DataClassification"]}])
    rollout: Rollout = Field(default_factory=Rollout, description="How the StackSet proceeds across regions and "
                             "accounts.", examples=[{"region_order": ["us-west-2", "us-east-1"], "max_concurrent": 2,
                                                     "failure_tolerance": 1}])
    limits: Limits = Field(default_factory=Limits, description="CloudFormation's per-template quotas as a budget: past "
                           "it, the service is split into nested stacks.", examples=[{"margin": 0.1, "shards": 32}])
    if TYPE_CHECKING:  # a section: spec_model adds one field per kind, and `keys` is always filled in
        keys: dict[str, Any]

    @model_validator(mode="before")
    @classmethod
    def _implicit_key(cls, data: Any) -> Any:
        """Secure by default even in a minimal spec: no `keys` means one key named `main`."""
        if isinstance(data, dict) and data.get("keys") in (None, {}):  # `keys: false` is a type error, not "none"
            data = {**data,
                    "keys": {IMPLICIT_KEY: {"description": "default key (created because the spec declares none)"}}}
        return data

    def physical(self, name: str) -> str:
        return physical_name(self.service, name, self.environment)

    def default_key(self) -> str:
        keys = self.keys
        return self.defaults.key or (next(iter(keys)) if len(keys) == 1 else IMPLICIT_KEY)


def _section_field(entry: Entry, written: bool = True) -> tuple[Any, Any]:
    if not written:  # absent from the spec: its default is all it will hold, and its kind stays unimported
        return (dict[str, Any], Field(default_factory=dict)) if entry.keyed else (Any, Field(None))
    kind = kind_of(entry.section)
    if not kind.keyed:
        if kind.section == "monitoring":
            return kind.model, Field(default_factory=kind.model, description=kind.description)
        return kind.model | None, Field(None, description=kind.description)
    key = Annotated[str, StringConstraints(pattern=kind.key_pattern)] if kind.key_pattern else Name
    return dict[key, kind.model], Field(  # type: ignore[valid-type, name-defined]
        default_factory=dict, description=kind.description)


@lru_cache(maxsize=64)
def spec_model(written: frozenset[str]) -> Any:
    """The Spec model for a spec that writes these sections: the same fields, the same validation of what is there.

    Building every kind's validators costs more than compiling a 500-resource service; a spec pays only
    for the kinds it writes. Sections it leaves out keep their defaults (an empty mapping, or none).
    """
    return create_model(  # type: ignore[call-overload]
        "Spec",
        __base__=ServiceFields,
        __doc__="A specc service spec.",
        **{entry.section: _section_field(entry, entry.section in written) for entry in REGISTRY},
    )


def __getattr__(name: str) -> Any:
    if name == "Spec":  # every section: the JSON Schema, the reference docs and error hints describe them all
        return spec_model(frozenset(SECTIONS))
    raise AttributeError(f"module 'specc.model.spec' has no attribute {name!r}")
