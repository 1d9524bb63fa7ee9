"""SSM documents in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import json

import boto3

from resource_types.ssm_document import to_arn

# A Command document that only prints a line: content for the demo's documents.
COMMAND_CONTENT = {
    "schemaVersion": "2.2",
    "description": "Print the host name (demo document).",
    "mainSteps": [{"action": "aws:runShellScript", "name": "hostname", "inputs": {"runCommand": ["hostname"]}}],
}


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's documents owned by the account (ListDocuments, Owner Self; resource id and name: the document
    name), configuration holding the CloudFormation properties AWS Config records (Name, DocumentType,
    DocumentFormat, TargetType, VersionName when set), with tags. Sharing is not part of the item."""
    ssm = boto3.client("ssm", region_name=region)
    items = []
    pages = ssm.get_paginator("list_documents").paginate(Filters=[{"Key": "Owner", "Values": ["Self"]}])
    for page in pages:
        for document in page.get("DocumentIdentifiers", []):
            name = document["Name"]
            configuration = {"Name": name}
            for field in ("DocumentType", "DocumentFormat", "TargetType", "VersionName"):
                if document.get(field):
                    configuration[field] = document[field]
            items.append(
                {
                    "resourceId": name,
                    "resourceName": name,
                    "ARN": to_arn(name, region=region, account=account),
                    "awsRegion": region,
                    "availabilityZone": "Not Applicable",
                    "configuration": configuration,
                    "supplementaryConfiguration": {},
                    "tags": {t["Key"]: t["Value"] for t in document.get("Tags", [])},
                }
            )
    return items


def create_document(region: str, name: str, shared_with: list[str]) -> str:
    """A Command document shared with `shared_with` ("all": public; account ids; [] private); its name."""
    ssm = boto3.client("ssm", region_name=region)
    ssm.create_document(Name=name, Content=json.dumps(COMMAND_CONTENT), DocumentType="Command", DocumentFormat="JSON")
    if shared_with:
        ssm.modify_document_permission(Name=name, PermissionType="Share", AccountIdsToAdd=shared_with)
    return name


def stale_key(account: str, region: str) -> str:
    """The name of a document no seed creates: a finding naming it outlives its resource."""
    return "Remedy-Deleted-Document"
