"""Demo seed: a subnet that assigns public IPv4 addresses on launch and one that does not (both new, in the default
VPC), and the region's other subnets that assign them (the default VPC's own: AWS creates them so). Each has a
network interface: Prowler's vpc_subnet_no_public_ip_by_default judges only subnets in use."""

from __future__ import annotations

import boto3

import resource_types
from catalogue import Control
from resource_types.ec2_subnet.simulation import (
    DEMO_SUBNETS,
    demo_subnets,
    put_subnet_in_use,
    subnets_assigning_public_ips,
)
from simulation.seeds import SeededResource

NOTES = {
    "public-web-subnet": "MapPublicIpOnLaunch true: every instance launched in it gets a public IPv4 address",
    "private-app-subnet": "MapPublicIpOnLaunch false",
}
DEFAULT_NOTE = "default subnet: AWS creates a default VPC's subnets with MapPublicIpOnLaunch true"


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    kind = resource_types.get(control.resource_type)
    created = demo_subnets(region)

    def seeded(subnet_id: str, non_compliant: bool, note: str) -> SeededResource:
        arn = kind.to_arn(subnet_id, region=region, account=account)
        return SeededResource(control.id, kind.config_type, subnet_id, arn, non_compliant, note)

    resources = [seeded(created[name], DEMO_SUBNETS[name], f"{name}: {NOTES[name]}") for name in DEMO_SUBNETS]
    ec2 = boto3.client("ec2", region_name=region)
    for subnet in subnets_assigning_public_ips(region):
        if subnet["SubnetId"] not in created.values():
            put_subnet_in_use(ec2, subnet)
            note = DEFAULT_NOTE if subnet["DefaultForAz"] else "MapPublicIpOnLaunch true"
            resources.append(seeded(subnet["SubnetId"], True, note))
    return resources
