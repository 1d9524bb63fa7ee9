"""Demo seed: per control of the rule (its Setting), two PostgreSQL DB instances, one with the setting on, one off."""

from __future__ import annotations

import resource_types
from catalogue import Control
from resource_types.rds_db_instance.simulation import create_postgres
from simulation.seeds import SeededResource

# Setting -> (CreateDBInstance parameter, identifier stem). AutoMinorVersionUpgrade is on by default in AWS and moto,
# DeletionProtection, IAM database authentication and CopyTagsToSnapshot off: each instance states its setting
# explicitly.
CREATE_PARAMETERS = {
    "DeletionProtection": ("DeletionProtection", "settlement"),
    "AutoMinorVersionUpgrade": ("AutoMinorVersionUpgrade", "pricing"),
    "IAMDatabaseAuthenticationEnabled": ("EnableIAMDatabaseAuthentication", "claims"),
    "CopyTagsToSnapshot": ("CopyTagsToSnapshot", "statements"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    """The instance with the setting off is what the control's Prowler check fails on (rds_instance_deletion_protection,
    rds_instance_minor_version_upgrade_enabled, rds_instance_iam_authentication_enabled,
    rds_instance_copy_tags_to_snapshots read the same DescribeDBInstances flag); the rule flags it too."""
    kind = resource_types.get(control.resource_type)
    setting = control.detection.parameters["Setting"]
    parameter, stem = CREATE_PARAMETERS[setting]
    seeded = []
    for enabled in (False, True):
        identifier = f"{stem}-{'on' if enabled else 'off'}-db"
        instance = create_postgres(region, identifier, in_process, PubliclyAccessible=False, **{parameter: enabled})
        seeded.append(
            SeededResource(
                control.id,
                kind.config_type,
                instance["DbiResourceId"],
                kind.to_arn(identifier, region=region, account=account),
                not enabled,
                f"{identifier}: {setting} {'true' if enabled else 'false'}",
            )
        )
    return seeded
