"""AWS::ECR::Repository: the AWS Config resource id is the repository name, the ARN's part after repository/.

ARN: arn:<partition>:ecr:<region>:<account>:repository/<name>, as Prowler (repositoryArn from DescribeRepositories)
and AWS Config (the ARN of the configuration item, whose configuration.RepositoryName is the id:
https://github.com/awslabs/aws-config-resource-schema, AWS::ECR::Repository.properties.json) give it. A name may hold
"/" (namespaces such as team/app): 2 to 256 characters, lower case letters, digits and "._-/" separators
(https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html).
"""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

REPOSITORY_NAME = r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"
_REPOSITORY = re.compile(rf"^repository/(?P<name>{REPOSITORY_NAME})$")


def parse(arn: Arn) -> str:
    """arn:<partition>:ecr:<region>:<account>:repository/<name> -> the repository name."""
    match = _REPOSITORY.match(arn.resource)
    if arn.service != "ecr" or not arn.region or not arn.account or not match or not 2 <= len(match["name"]) <= 256:
        raise MalformedArnError(
            f"{arn.text!r} is not an ECR repository ARN (arn:aws:ecr:<region>:<account>:repository/<name>)"
        )
    return match["name"]


def to_arn(key: str, *, partition: str = "aws", region: str, account: str) -> str:
    """The ARN of the repository named `key` in its account and region."""
    return f"arn:{partition}:ecr:{region}:{account}:repository/{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::ECR::Repository",
    asff_type="AwsEcrRepository",
    ocsf_type="AWS::ECR::Repository",
    parse=parse,
    to_arn=to_arn,
    # list_amazonelasticcontainerregistry.html in the Service Authorization Reference: these take the repository
    # resource type (GetRegistryScanningConfiguration takes none: "*").
    iam_scopes=(
        IamScope(
            actions=("ecr:DescribeRepositories", "ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability"),
            resources=("arn:{partition}:ecr:{region}:{account}:repository/*",),
        ),
    ),
)
