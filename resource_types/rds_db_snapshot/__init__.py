"""AWS::RDS::DBSnapshot: the AWS Config resource id is the DB snapshot identifier, the ARN's last part.

ARN: arn:<partition>:rds:<region>:<account>:snapshot:<identifier>, as Prowler and DescribeDBSnapshots
(DBSnapshotArn) give it. Automated snapshots' identifiers carry a prefix with a colon (rds:<instance>-<date>;
awsbackup:... for AWS Backup's), which stays part of the identifier.
"""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

# "1 to 255 letters, numbers, or hyphens. First character must be a letter. Can't end with a hyphen or contain two
# consecutive hyphens" (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSnapshot.html).
_DB_SNAPSHOT = re.compile(r"^snapshot:(?P<id>(?:(?:rds|awsbackup):)?[A-Za-z](?:-?[A-Za-z0-9]){0,254})$")


def parse(arn: Arn) -> str:
    """arn:<partition>:rds:<region>:<account>:snapshot:<identifier> -> the DB snapshot identifier."""
    match = _DB_SNAPSHOT.match(arn.resource)
    if arn.service != "rds" or not arn.region or not arn.account or not match:
        raise MalformedArnError(
            f"{arn.text!r} is not an RDS DB snapshot ARN (arn:aws:rds:<region>:<account>:snapshot:<identifier>)"
        )
    return match["id"]


def to_arn(key: str, *, partition: str = "aws", region: str, account: str) -> str:
    """The ARN of the DB snapshot named `key` in its account and region."""
    return f"arn:{partition}:rds:{region}:{account}:snapshot:{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::RDS::DBSnapshot",
    asff_type="AwsRdsDbSnapshot",
    ocsf_type="AWS::RDS::DBSnapshot",
    parse=parse,
    to_arn=to_arn,
    # list_amazonrds.html in the Service Authorization Reference: ModifyDBSnapshotAttribute takes the snapshot
    # resource type.
    iam_scopes=(
        IamScope(
            actions=("rds:ModifyDBSnapshotAttribute",),
            resources=("arn:{partition}:rds:{region}:{account}:snapshot:*",),
        ),
    ),
)
