"""AWS::RDS::DBInstance: the AWS Config resource id is the DbiResourceId (db-...), which the ARN does not carry.

The ARN names the instance by its identifier (arn:<partition>:rds:<region>:<account>:db:<identifier>);
rds:DescribeDBInstances turns it into the DbiResourceId, "the AWS Region-unique, immutable identifier for the DB
instance" (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html), which AWS Config records
as the resource id.
"""

from __future__ import annotations

import re

import botocore.exceptions

from resource_types import IamScope, LookupGrant, ResourceType
from resource_types.arn import Arn, ClientFactory, MalformedArnError, ResourceNotFoundError

# "1 to 63 letters, numbers, or hyphens. First character must be a letter. Can't end with a hyphen or contain two
# consecutive hyphens" (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
_DB_INSTANCE = re.compile(r"^db:(?P<id>[A-Za-z](?:-?[A-Za-z0-9]){0,62})$")


def parse(arn: Arn) -> str:
    """arn:<partition>:rds:<region>:<account>:db:<identifier> -> the DB instance identifier."""
    match = _DB_INSTANCE.match(arn.resource)
    if arn.service != "rds" or not arn.region or not arn.account or not match:
        raise MalformedArnError(
            f"{arn.text!r} is not an RDS DB instance ARN (arn:aws:rds:<region>:<account>:db:<identifier>)"
        )
    return match["id"]


def lookup(identifier: str, client: ClientFactory) -> str:
    """The instance's DbiResourceId (rds:DescribeDBInstances); ResourceNotFoundError if it does not exist."""
    try:
        instances = client("rds").describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "DBInstanceNotFound":
            raise ResourceNotFoundError(f"RDS DB instance {identifier!r} does not exist") from error
        raise
    if not instances:
        raise ResourceNotFoundError(f"RDS DB instance {identifier!r} does not exist")
    return instances[0]["DbiResourceId"]


def to_arn(key: str, *, partition: str = "aws", region: str, account: str) -> str:
    """The ARN of the DB instance named `key` in its account and region."""
    return f"arn:{partition}:rds:{region}:{account}:db:{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::RDS::DBInstance",
    asff_type="AwsRdsDbInstance",
    ocsf_type="AWS::RDS::DBInstance",
    parse=parse,
    to_arn=to_arn,
    lookup=lookup,
    lookup_grants=(
        LookupGrant(actions=("rds:DescribeDBInstances",), resources=("arn:{partition}:rds:*:{account}:db:*",)),
    ),
    # list_amazonrds.html in the Service Authorization Reference: ModifyDBInstance takes the db resource type.
    iam_scopes=(
        IamScope(actions=("rds:ModifyDBInstance",), resources=("arn:{partition}:rds:{region}:{account}:db:*",)),
    ),
)
