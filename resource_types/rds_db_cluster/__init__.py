"""AWS::RDS::DBCluster: the AWS Config resource id is the DbClusterResourceId (cluster-...), not in the ARN.

The ARN names the cluster by its identifier (arn:<partition>:rds:<region>:<account>:cluster:<identifier>, as Prowler
and DescribeDBClusters' DBClusterArn give it); rds:DescribeDBClusters turns it into the DbClusterResourceId, "the
AWS Region-unique, immutable identifier for the DB cluster"
(https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBCluster.html), which AWS Config records as the
resource id (AWS's own remediation runbook takes that "resource identifier" of the cluster:
https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-aws-enable-rds-cluster-deletion-protection.html).
"""

from __future__ import annotations

import re

import botocore.exceptions

from resource_types import IamScope, LookupGrant, ResourceType
from resource_types.arn import Arn, ClientFactory, MalformedArnError, ResourceNotFoundError

# "1 to 63 letters, numbers, or hyphens. First character must be a letter. Can't end with a hyphen or contain two
# consecutive hyphens" (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html).
_DB_CLUSTER = re.compile(r"^cluster:(?P<id>[A-Za-z](?:-?[A-Za-z0-9]){0,62})$")


def parse(arn: Arn) -> str:
    """arn:<partition>:rds:<region>:<account>:cluster:<identifier> -> the DB cluster identifier."""
    match = _DB_CLUSTER.match(arn.resource)
    if arn.service != "rds" or not arn.region or not arn.account or not match:
        raise MalformedArnError(
            f"{arn.text!r} is not an RDS DB cluster ARN (arn:aws:rds:<region>:<account>:cluster:<identifier>)"
        )
    return match["id"]


def lookup(identifier: str, client: ClientFactory) -> str:
    """The cluster's DbClusterResourceId (rds:DescribeDBClusters); ResourceNotFoundError if it does not exist."""
    try:
        clusters = client("rds").describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "DBClusterNotFoundFault":
            raise ResourceNotFoundError(f"RDS DB cluster {identifier!r} does not exist") from error
        raise
    if not clusters:
        raise ResourceNotFoundError(f"RDS DB cluster {identifier!r} does not exist")
    return clusters[0]["DbClusterResourceId"]


def to_arn(key: str, *, partition: str = "aws", region: str, account: str) -> str:
    """The ARN of the DB cluster named `key` in its account and region."""
    return f"arn:{partition}:rds:{region}:{account}:cluster:{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::RDS::DBCluster",
    asff_type="AwsRdsDbCluster",
    ocsf_type="AWS::RDS::DBCluster",
    parse=parse,
    to_arn=to_arn,
    lookup=lookup,
    lookup_grants=(
        LookupGrant(actions=("rds:DescribeDBClusters",), resources=("arn:{partition}:rds:*:{account}:cluster:*",)),
    ),
    # list_amazonrds.html in the Service Authorization Reference: ModifyDBCluster takes the cluster resource type.
    iam_scopes=(
        IamScope(actions=("rds:ModifyDBCluster",), resources=("arn:{partition}:rds:{region}:{account}:cluster:*",)),
    ),
)
