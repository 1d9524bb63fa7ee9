"""Demo seed: network ACLs of a new VPC (SSH and RDP open to the internet, and closed), its default network ACL and
the region's other default network ACLs (AWS's default admits all inbound traffic)."""

from __future__ import annotations

import boto3

import resource_types
from catalogue import Control
from resource_types.ec2_network_acl.simulation import demo_network_acls, has_default_allow_all
from simulation.seeds import SeededResource

# Name -> (non-compliant, note), for the network ACLs of resource_types.ec2_network_acl.simulation.DEMO_NETWORK_ACLS.
NOTES = {
    "bastion-subnet-acl": (True, "rules 100 and 105 admit TCP 22 from 0.0.0.0/0 and ::/0 (443 stays open)"),
    "rdp-jump-acl": (True, "rule 120 admits TCP 3389 from ::/0 (rule 100 admits it from 10.0.0.0/8 only)"),
    "app-subnet-acl": (False, "rule 90 denies all traffic from 0.0.0.0/0 before the allows; SSH from 10.0.0.0/8"),
}
DEFAULT_NOTE = "default network ACL: rule 100 admits all inbound traffic from 0.0.0.0/0"


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    kind = resource_types.get(control.resource_type)
    default_acl, created = demo_network_acls(region)

    def seeded(acl_id: str, non_compliant: bool, note: str) -> SeededResource:
        arn = kind.to_arn(acl_id, region=region, account=account)
        return SeededResource(control.id, kind.config_type, acl_id, arn, non_compliant, note)

    # The new VPC's network ACLs first, in a fixed order; then the region's other default network ACLs as they are.
    resources = [seeded(created[name], *NOTES[name]) for name in NOTES]
    resources.append(seeded(default_acl, True, f"{DEFAULT_NOTE} (the demo VPC's)"))
    ec2 = boto3.client("ec2", region_name=region)
    others = ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    for acl in sorted(others, key=lambda a: a["NetworkAclId"]):
        if acl["NetworkAclId"] != default_acl:
            open_to_all = has_default_allow_all(acl)
            note = DEFAULT_NOTE if open_to_all else "default network ACL without AWS's allow-all inbound rule"
            resources.append(seeded(acl["NetworkAclId"], open_to_all, note))
    return resources
