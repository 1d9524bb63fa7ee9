"""Demo seed: RDS DB instances, one publicly accessible in a public subnet behind an open security group, one
private."""

from __future__ import annotations

import resource_types
from catalogue import Control
from resource_types.rds_db_instance.simulation import create_postgres, public_subnet_group
from simulation.seeds import SeededResource


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    """The public instance is what Prowler's check fails on (publicly accessible, port 5432 open to the Internet,
    a subnet routed to an internet gateway); the rule also flags it (PubliclyAccessible true)."""
    kind = resource_types.get(control.resource_type)
    subnet_group, security_group = public_subnet_group(region, "customer-portal")
    instances = (
        (
            create_postgres(
                region,
                "customer-portal-db",
                in_process,
                PubliclyAccessible=True,
                DBSubnetGroupName=subnet_group,
                VpcSecurityGroupIds=[security_group],
            ),
            True,
            "publicly accessible, PostgreSQL port open to the Internet in a public subnet",
        ),
        (create_postgres(region, "ledger-db", in_process, PubliclyAccessible=False), False, "not publicly accessible"),
    )
    return [
        SeededResource(
            control.id,
            kind.config_type,
            instance["DbiResourceId"],
            kind.to_arn(instance["DBInstanceIdentifier"], region=region, account=account),
            non_compliant,
            f"{instance['DBInstanceIdentifier']}: {note}",
        )
        for instance, non_compliant, note in instances
    ]
