"""AWS::SSM::Document: the AWS Config resource id is the document name, the ARN's last segment (document/<name>).

ARN: arn:<partition>:ssm:<region>:<account>:document/<name>, as Prowler reports it (built from ListDocuments' names).
AWS Config records AWS::SSM::Document as a registry-based type whose configuration holds the CloudFormation
properties (configuration.Name, DocumentType, ...: https://github.com/awslabs/aws-config-resource-schema,
AWS::SSM::Document.properties.json); its primary identifier, and so the Config resource id, is the name ("Ref
returns the name of the SSM document":
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ssm-document.html). No lookup.
"""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

# "Pattern: ^[a-zA-Z0-9_\-.]{3,128}$" (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html).
DOCUMENT_NAME = r"[a-zA-Z0-9_\-.]{3,128}"
_DOCUMENT = re.compile(rf"^document/(?P<name>{DOCUMENT_NAME})$")


def parse(arn: Arn) -> str:
    """arn:<partition>:ssm:<region>:<account>:document/<name> -> the document name."""
    match = _DOCUMENT.match(arn.resource)
    valid = arn.service == "ssm" and arn.region and re.fullmatch(r"\d{12}", arn.account or "")
    if not valid or not match:
        raise MalformedArnError(
            f"{arn.text!r} is not an SSM document ARN (arn:aws:ssm:<region>:<account>:document/<name>)"
        )
    return match["name"]


def to_arn(key: str, *, partition: str = "aws", region: str, account: str) -> str:
    """The document's ARN in its account and region."""
    return f"arn:{partition}:ssm:{region}:{account}:document/{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::SSM::Document",
    # ASFF has no SSM document type (its AwsSsm resources are AwsSsmPatchCompliance only:
    # https://docs.aws.amazon.com/securityhub/latest/userguide/asff-resourcedetails-awsssm.html): Other.
    asff_type="Other",
    ocsf_type="AWS::SSM::Document",
    parse=parse,
    to_arn=to_arn,
    # list_awssystemsmanager.html in the Service Authorization Reference: both take the document resource type.
    iam_scopes=(
        IamScope(
            actions=("ssm:DescribeDocumentPermission", "ssm:ModifyDocumentPermission"),
            resources=("arn:{partition}:ssm:{region}:{account}:document/*",),
        ),
    ),
)
