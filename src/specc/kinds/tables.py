"""DynamoDB tables: on-demand, point-in-time recovery and a customer-managed key unless the spec says otherwise."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError
from troposphere import GetAtt, Ref, Sub, dynamodb

from specc.build.context import BuildContext
from specc.build.iam import Grant, key_grant
from specc.build.naming import logical_id
from specc.kinds import existing
from specc.kinds.base import Kind, Metrics, NameRule, Reference, getatt_attribute, ref_attribute
from specc.kinds.existing import existing_field
from specc.language.types import Name, SpecModel


class KeyAttribute(SpecModel):
    name: str = Field(min_length=1, max_length=255, description="Attribute name.", examples=["payment_id"])
    type: Literal["S", "N", "B"] = Field(description="S (string), N (number) or B (binary).", examples=["S"])


class Capacity(SpecModel):
    read: int = Field(ge=1, le=40_000, description="Read capacity units.", examples=[5])
    write: int = Field(ge=1, le=40_000, description="Write capacity units.", examples=[5])


class IndexSpec(SpecModel):
    """A global secondary index, or a local one (`local: true`, same partition key as the table)."""

    partition_key: KeyAttribute | None = Field(None, description="Required for global indexes; omitted for local ones.")
    sort_key: KeyAttribute | None = Field(None, description="Optional for global indexes; required for local ones.")
    local: bool = Field(False, description="A local secondary index (shares the table's partition key).",
                        examples=[True])
    projection: Literal["all", "keys_only", "include"] = Field(
        "all", description="Attributes copied into the index.", examples=["include"])
    include: list[str] = Field(default_factory=list, description="With projection `include`: the extra attributes.",
                               examples=[["amount", "status"]])
    capacity: Capacity | None = Field(None, description="Provisioned capacity (only for provisioned tables).")

    @model_validator(mode="after")
    def _shape(self) -> IndexSpec:
        if self.local and self.partition_key is not None:
            raise ValueError("a local index uses the table's partition key: remove `partition_key` or set "
                             "`local: false`")
        if self.local and self.sort_key is None:
            raise ValueError("a local index needs a `sort_key`")
        if not self.local and self.partition_key is None:
            raise ValueError("a global index needs a `partition_key`")
        if (self.projection == "include") != bool(self.include):
            raise ValueError("`include` lists attributes exactly when `projection: include`")
        return self


class TableSpec(SpecModel):
    """A DynamoDB table, or one that exists (`existing:`)."""

    existing: str | None = existing_field("tables")
    partition_key: KeyAttribute | None = Field(None, validate_default=True, description="The partition (hash) key "
                                               "(required unless `existing`).")
    sort_key: KeyAttribute | None = Field(None, description="The sort (range) key.")
    indexes: dict[Name, IndexSpec] = Field(default_factory=dict, description="Secondary indexes by name.")
    billing: Literal["on_demand", "provisioned"] = Field("on_demand", description="Capacity mode.",
                                                         examples=["provisioned"])
    capacity: Capacity | None = Field(None, description="Required with `billing: provisioned`.")
    stream: Literal["keys_only", "new_image", "old_image", "new_and_old_images"] | None = Field(
        None, description="Turn on the table's stream with this view type.", examples=["new_and_old_images"])
    ttl: str | None = Field(None, min_length=1, max_length=255, description="Attribute holding the expiry time.",
                            examples=["expires_at"])
    encryption: Name | None = Field(
        None, description="The key (from `keys`) that encrypts the table; default: `defaults.key`.",
        examples=["data"])
    point_in_time_recovery: bool = Field(True,
                                         description="Continuous backups. Turning it off is recorded in the template.",
                                         examples=[True])
    deletion_protection: bool = Field(
        True, description="DynamoDB refuses to delete the table (whoever asks, CloudFormation included) until this "
        "is turned off. On by default; `false` is recorded in the template (Metadata.specc.opt_outs).",
        examples=[False])

    @field_validator("partition_key")
    @classmethod
    def _partition_key(cls, value: KeyAttribute | None, info: ValidationInfo) -> KeyAttribute | None:
        if value is None and info.data.get("existing") is None:
            raise PydanticCustomError("missing", "Field required")
        return value

    @model_validator(mode="after")
    def _capacity(self) -> TableSpec:
        provisioned = self.billing == "provisioned"
        if provisioned != (self.capacity is not None):
            raise ValueError("`capacity` is required with `billing: provisioned` and not allowed otherwise")
        for name, index in self.indexes.items():
            if index.capacity is not None and (not provisioned or index.local):
                raise ValueError(f"index {name}: `capacity` only applies to global indexes of provisioned tables")
            if provisioned and not index.local and index.capacity is None:
                raise ValueError(f"index {name}: a provisioned table's global index needs `capacity`")
        return self


_STREAM = {"keys_only": "KEYS_ONLY", "new_image": "NEW_IMAGE", "old_image": "OLD_IMAGE",
           "new_and_old_images": "NEW_AND_OLD_IMAGES"}
_PROJECTION = {"all": "ALL", "keys_only": "KEYS_ONLY", "include": "INCLUDE"}


def _key_schema(partition: KeyAttribute, sort: KeyAttribute | None) -> list[dynamodb.KeySchema]:
    schema = [dynamodb.KeySchema(AttributeName=partition.name, KeyType="HASH")]
    if sort:
        schema.append(dynamodb.KeySchema(AttributeName=sort.name, KeyType="RANGE"))
    return schema


def _projection(index: IndexSpec) -> dynamodb.Projection:
    projection = dynamodb.Projection(ProjectionType=_PROJECTION[index.projection])
    if index.include:
        projection.NonKeyAttributes = sorted(index.include)
    return projection


def _throughput(capacity: Capacity) -> dynamodb.ProvisionedThroughput:
    return dynamodb.ProvisionedThroughput(ReadCapacityUnits=capacity.read, WriteCapacityUnits=capacity.write)


def build(ctx: BuildContext, name: str, spec: TableSpec) -> None:
    assert spec.partition_key is not None  # an existing table is never built
    table_id = logical_id(name, "Table")
    key = ctx.key_for(spec.encryption)
    attributes: dict[str, str] = {}
    for attribute in [spec.partition_key, spec.sort_key] + [
            a for i in spec.indexes.values() for a in (i.partition_key, i.sort_key)]:
        if attribute is not None:
            attributes[attribute.name] = attribute.type
    table = dynamodb.Table(
        table_id,
        TableName=ctx.physical(name),
        AttributeDefinitions=[dynamodb.AttributeDefinition(AttributeName=n, AttributeType=t)
                              for n, t in sorted(attributes.items())],
        KeySchema=_key_schema(spec.partition_key, spec.sort_key),
        BillingMode="PAY_PER_REQUEST" if spec.billing == "on_demand" else "PROVISIONED",
        PointInTimeRecoverySpecification=dynamodb.PointInTimeRecoverySpecification(
            PointInTimeRecoveryEnabled=spec.point_in_time_recovery),
        SSESpecification=dynamodb.SSESpecification(
            SSEEnabled=True, SSEType="KMS", KMSMasterKeyId=GetAtt(logical_id(key, "Key"), "Arn")),
        DeletionProtectionEnabled=spec.deletion_protection,
    )
    if spec.capacity:
        table.ProvisionedThroughput = _throughput(spec.capacity)
    global_indexes = []
    local_indexes = []
    for index_name, index in sorted(spec.indexes.items()):
        if index.local:
            local_indexes.append(dynamodb.LocalSecondaryIndex(
                IndexName=index_name, KeySchema=_key_schema(spec.partition_key, index.sort_key),
                Projection=_projection(index)))
        else:
            assert index.partition_key is not None  # the model guarantees it
            gsi = dynamodb.GlobalSecondaryIndex(
                IndexName=index_name, KeySchema=_key_schema(index.partition_key, index.sort_key),
                Projection=_projection(index))
            if index.capacity:
                gsi.ProvisionedThroughput = _throughput(index.capacity)
            global_indexes.append(gsi)
    if global_indexes:
        table.GlobalSecondaryIndexes = global_indexes
    if local_indexes:
        table.LocalSecondaryIndexes = local_indexes
    if spec.stream:
        table.StreamSpecification = dynamodb.StreamSpecification(StreamViewType=_STREAM[spec.stream])
    if spec.ttl:
        table.TimeToLiveSpecification = dynamodb.TimeToLiveSpecification(AttributeName=spec.ttl, Enabled=True)
    if not spec.deletion_protection:
        ctx.opt_out(table, "deletion_protection", ("tables", name, "deletion_protection"))
    if not spec.point_in_time_recovery:
        from specc.build.scanners import skip

        ctx.opt_out(table, "point_in_time_recovery", ("tables", name, "point_in_time_recovery"))
        skip(table, "CKV_AWS_28", "point-in-time recovery turned off in the spec (point_in_time_recovery: false), "
             "recorded in Metadata.specc.opt_outs")
    ctx.add(table, ("tables", name))
    ctx.output(logical_id(name, "TableName"), Ref(table_id), f"Name of the {name} table")
    if spec.stream:
        ctx.output(logical_id(name, "TableStreamArn"), GetAtt(table_id, "StreamArn"),
                   f"Stream ARN of the {name} table")


_READ = ("dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
         "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan")
_WRITE = ("dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
          "dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:UpdateItem")
_KEY_READ = ("kms:Decrypt", "kms:DescribeKey")
_KEY_WRITE = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")


def grant(ctx: BuildContext, name: str, access: str) -> list[Grant]:
    spec: TableSpec = ctx.spec.tables[name]
    table_id = logical_id(name, "Table")
    reads = access in ("read", "read_write")
    writes = access in ("write", "read_write")
    actions = tuple(sorted(set((_READ if reads else ()) + (_WRITE if writes else ()))))
    sid = logical_id(name, "Table") + ("ReadWrite" if reads and writes else "Read" if reads else "Write")
    if spec.existing is not None:  # its ARN, and its indexes' (whose names the spec does not know) for queries
        resources: list[Any] = [existing.arn(ctx, "tables", name)]
        if reads:
            resources.append(existing.arn(ctx, "tables", name, "/index/*"))
        grants = [Grant(sid=sid, actions=actions, resources=tuple(resources))]
        if spec.encryption:
            grants.append(key_grant(spec.encryption, _KEY_WRITE if writes else _KEY_READ))
        return grants
    resources = [GetAtt(table_id, "Arn")]
    if reads:  # queries on indexes need the index ARNs; writes go through the table only
        resources += [Sub(f"${{{table_id}.Arn}}/index/{index}") for index in sorted(spec.indexes)]
    key = ctx.key_for(spec.encryption)
    return [
        Grant(sid=sid, actions=actions, resources=tuple(resources)),
        key_grant(key, _KEY_WRITE if writes else _KEY_READ),
    ]


def references(name: str, spec: TableSpec) -> list[Reference]:
    if spec.encryption:
        return [Reference(("tables", name, "encryption"), "keys", spec.encryption)]
    return []


def names(spec: Any, name: str, entry: TableSpec) -> list[NameRule]:
    return [NameRule("table name", spec.physical(name), 255, r"^[A-Za-z0-9_.-]+$")]


KIND = Kind(
    section="tables",
    singular="table",
    model=TableSpec,
    description="DynamoDB tables (on-demand, point-in-time recovery and a customer-managed key by default).",
    build=build,
    references=references,
    access={"read": "get, query and scan items (and the table's indexes)",
            "write": "put, update and delete items",
            "read_write": "both"},
    grant=grant,
    env_value=existing.either("tables", lambda ctx, name: existing.resource_name(ctx, "tables", name),
                              lambda ctx, name: Ref(logical_id(name, "Table"))),
    attributes={"arn": existing.existing_or("tables", "arn", getatt_attribute("Table", "Arn", "ARN of the table")),
                "name": existing.existing_or("tables", "name", ref_attribute("Table", "name of the table"))},
    metrics=Metrics(
        namespace="AWS/DynamoDB",
        names=("ConditionalCheckFailedRequests", "ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits",
               "ReadThrottleEvents", "ReturnedItemCount", "SuccessfulRequestLatency", "SystemErrors",
               "ThrottledRequests", "UserErrors", "WriteThrottleEvents"),
        dimensions=lambda ctx, name: [("TableName", existing.either(
            "tables", lambda c, n: existing.resource_name(c, "tables", n),
            lambda c, n: Ref(logical_id(n, "Table")))(ctx, name))],
    ),
    names=names,
)
