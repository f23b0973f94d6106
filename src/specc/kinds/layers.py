"""Lambda layers: shared code and shared dependencies, zipped under `python/` and content-addressed like function
code (build/packaging.py), referenced by functions as `layers: [name]`.

A layer is published for one runtime and one architecture: the ones its dependencies are installed for. A layer
version is immutable, so new content is a new version: the S3 key changes, CloudFormation publishes a version and
the functions that use the layer move to it in the same deployment.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from troposphere import Ref, Sub, awslambda

from specc.build.context import BuildContext
from specc.build.naming import logical_id
from specc.kinds.base import Attribute, Kind, NameRule
from specc.kinds.functions import RUNTIMES
from specc.language.types import SpecModel

PREFIX = "python/"  # where Lambda's Python runtimes find a layer's modules: /opt/python is on sys.path
MAX_LAYERS = 5  # per function, Lambda's limit


class LayerSpec(SpecModel):
    """A Lambda layer of shared Python code and dependencies."""

    code: str = Field(min_length=1, description="Directory of the layer's modules, relative to `code_root`; its "
                      "files are zipped under `python/` (so `common/log.py` is imported as `common.log`), and a "
                      "`requirements.txt` there is installed beside them.", examples=["handlers/layers/common"])
    description: str = Field("", max_length=256, description="Shown in the Lambda console.",
                             examples=["Logging and HTTP helpers"])
    runtime: Literal[RUNTIMES] | None = Field(  # type: ignore[valid-type]
        None, description="The runtime the layer is built for (its dependencies' Python version), and the only one "
                          "of its CompatibleRuntimes; functions that use it must have it. Default: `defaults.runtime`.",
        examples=["python3.12"])
    architecture: Literal["x86_64", "arm64"] = Field(
        "x86_64", description="Instruction set its dependencies are built for; functions that use it must match.",
        examples=["arm64"])


def runtime_of(ctx_spec: Any, spec: LayerSpec) -> str:
    return str(spec.runtime or ctx_spec.defaults.runtime)


def build(ctx: BuildContext, name: str, spec: LayerSpec) -> None:
    artifact = ctx.layer_artifacts[name]
    ctx.add(awslambda.LayerVersion(
        logical_id(name, "Layer"),
        LayerName=ctx.physical(name),
        Description=spec.description or f"{ctx.spec.service} {name}",
        Content=awslambda.Content(
            S3Bucket=Sub(f"{ctx.spec.artifacts.bucket_prefix}-${{AWS::AccountId}}-${{AWS::Region}}"),
            S3Key=f"{ctx.spec.service}/{artifact.s3_key}",
        ),
        CompatibleRuntimes=[runtime_of(ctx.spec, spec)],
        CompatibleArchitectures=[spec.architecture],
    ), ("layers", name))


def names(spec: Any, name: str, entry: LayerSpec) -> list[NameRule]:
    return [NameRule("layer name", spec.physical(name), 140)]


KIND = Kind(
    section="layers",
    singular="layer",
    model=LayerSpec,
    description="Lambda layers of shared code and dependencies, content-addressed, used by functions' `layers`.",
    build=build,
    attributes={"arn": Attribute("ARN of the layer's current version",
                                 lambda ctx, name: Ref(logical_id(name, "Layer")))},
    names=names,
)
