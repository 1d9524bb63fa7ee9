"""The RDS DB instance setting controls (FSBP RDS.8, RDS.13 with CIS v3.0 2.3.2, RDS.10, RDS.17): which
DescribeDBInstances flag each requires, how ModifyDBInstance sets it, and which instances it applies to.

Used by the rule rds_instance_setting and the runbooks enable_rds_instance_deletion_protection,
enable_rds_instance_auto_minor_version_upgrade, enable_rds_instance_iam_authentication and
enable_rds_instance_copy_tags_to_snapshots (see this package's docstring), so the rule's NOT_APPLICABLE and the
runbooks' refusals agree. The runbooks' one procedure,
enable_instance_setting, is here too (one document per control, so each control's runs are its own); it is given
the RDS client and the DryRun flag, so this module stays standard library only.

ApplyImmediately "applies the modifications in this request and any pending modifications" at once
(https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html): pending modifications (an
instance class or engine version change someone scheduled for the maintenance window) may reboot the instance. So
the runbooks ask for ApplyImmediately only when nothing is pending; otherwise the change joins the pending ones
(DeletionProtection, AutoMinorVersionUpgrade and CopyTagsToSnapshot take effect at once either way: they are not
among DescribeDBInstances' PendingModifiedValues, which IAMDatabaseAuthenticationEnabled is).

Not applicable:
- DeletionProtection, IAM database authentication and copying tags to snapshots of a DB cluster member:
  ModifyDBInstance's DeletionProtection and EnableIAMDatabaseAuthentication "don't apply to Amazon Aurora" DB
  instances, the DB cluster holds them, and its CopyTagsToSnapshot "doesn't apply to Amazon Aurora DB instances.
  Copying tags to snapshots is managed by the DB cluster"
  (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html), and a Multi-AZ DB cluster's
  instances cannot be modified at all, only the cluster
  (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/modify-multi-az-db-cluster.html), which holds every setting
  for them (AutoMinorVersionUpgrade included; an Aurora cluster member keeps its own). AWS Config's managed rule
  reports such members not applicable too
  (https://docs.aws.amazon.com/config/latest/developerguide/rds-instance-deletion-protection-enabled.html).
- IAM database authentication on engines without it: AWS Config's managed rule evaluates mysql and postgres
  (https://docs.aws.amazon.com/config/latest/developerguide/rds-instance-iam-authentication-enabled.html); RDS for
  MariaDB supports it as well
  (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.html), and Prowler's check
  rds_instance_iam_authentication_enabled evaluates those three (and Aurora's, cluster members here).
"""

import re

# DescribeDBInstances flag -> (ModifyDBInstance parameter, words for messages, held by the DB cluster for its
# members, the engines it applies to or None for every engine).
SETTINGS: dict[str, tuple[str, str, bool, tuple[str, ...] | None]] = {
    "DeletionProtection": ("DeletionProtection", "deletion protection", True, None),
    "AutoMinorVersionUpgrade": ("AutoMinorVersionUpgrade", "automatic minor version upgrades", False, None),
    "IAMDatabaseAuthenticationEnabled": (
        "EnableIAMDatabaseAuthentication",
        "IAM database authentication",
        True,
        ("mariadb", "mysql", "postgres"),
    ),
    "CopyTagsToSnapshot": ("CopyTagsToSnapshot", "copying tags to snapshots", True, None),
}


def config_field(setting: str) -> str:
    """The AWS Config configuration item field of a DescribeDBInstances flag (lower camel case, as AWS Config
    records it: DeletionProtection -> deletionProtection, IAMDatabaseAuthenticationEnabled ->
    iAMDatabaseAuthenticationEnabled)."""
    return setting[:1].lower() + setting[1:]


def not_applicable_reason(setting: str, engine: str, cluster: str | None) -> str | None:
    """Why `setting` does not apply to an instance of `engine` in DB cluster `cluster` (None: it applies)."""
    _parameter, words, on_cluster, engines = SETTINGS[setting]
    if on_cluster and cluster:
        return f"{words} of a DB cluster member is set on its DB cluster ({cluster})"
    if cluster and not engine.startswith("aurora"):
        return f"a member of Multi-AZ DB cluster {cluster} is modified only through its cluster"
    if engines is not None and engine not in engines:
        return f"engine {engine} has no {words} (it applies to {', '.join(engines)})"
    return None


RESOURCE_ID_PATTERN = re.compile(r"^db-[A-Z0-9]{1,255}$")
# The flags PendingModifiedValues can hold: only these wait for the maintenance window without ApplyImmediately.
DEFERRABLE = ("IAMDatabaseAuthenticationEnabled",)


def _find_instance(rds: object, resource_id: str) -> dict:
    """The instance whose DbiResourceId is `resource_id`, in this account and Region (the role's own)."""
    found = rds.describe_db_instances(Filters=[{"Name": "dbi-resource-id", "Values": [resource_id]}])["DBInstances"]
    if not found:
        raise ValueError(
            f"No DB instance with DbiResourceId {resource_id} in this account and Region; nothing changed."
        )
    if len(found) > 1:  # AWS's DbiResourceIds are unique in a Region: refuse rather than pick one
        names = ", ".join(sorted(i["DBInstanceIdentifier"] for i in found))
        raise ValueError(f"DbiResourceId {resource_id} names more than one DB instance ({names}); nothing changed.")
    return found[0]


def _state(instance: dict, setting: str) -> dict:
    """The flag as set now, and as pending for the maintenance window (false when nothing is pending)."""
    pending = (instance.get("PendingModifiedValues") or {}).get(setting)
    return {setting: instance.get(setting) is True, "PendingForMaintenanceWindow": pending is True}


def enable_instance_setting(rds: object, resource_id: object, setting: str, dry_run: bool) -> dict:
    """Turn `setting` on for the DB instance whose DbiResourceId is `resource_id` unless it is on (or pending).

    Refuses an instance the setting does not apply to (a DB cluster member, an engine without it). With `dry_run`
    it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    if not isinstance(resource_id, str) or not RESOURCE_ID_PATTERN.match(resource_id):
        raise ValueError(f"DbiResourceId must be an RDS DbiResourceId (db-...); got {resource_id!r}")
    parameter, words = SETTINGS[setting][0], SETTINGS[setting][1]
    instance = _find_instance(rds, resource_id)
    identifier = instance["DBInstanceIdentifier"]
    reason = not_applicable_reason(setting, instance.get("Engine", ""), instance.get("DBClusterIdentifier"))
    if reason:
        raise ValueError(f"DB instance {identifier}: {reason}; nothing changed.")
    previous = _state(instance, setting)
    result = {"DbiResourceId": resource_id, "DBInstanceIdentifier": identifier, "DryRun": dry_run}
    if previous[setting] or previous["PendingForMaintenanceWindow"]:
        when = "enabled" if previous[setting] else "already pending for the maintenance window"
        return {
            **result,
            "WouldChange": False,
            "Changed": False,
            "PreviousState": previous,
            "PlannedState": previous,
            "CurrentState": previous,
            "Message": f"DB instance {identifier} had {words} {when}; nothing changed.",
        }
    pending = sorted(k for k, v in (instance.get("PendingModifiedValues") or {}).items() if v not in (None, [], {}))
    target = {setting: True, "PendingForMaintenanceWindow": False}
    result = {**result, "WouldChange": True, "PreviousState": previous, "PlannedState": target}
    deferred = bool(pending) and setting in DEFERRABLE
    how = f"at the maintenance window, with the pending {', '.join(pending)}" if deferred else "now"
    if dry_run:
        message = f"Dry run: would enable {words} on DB instance {identifier} ({how}); nothing changed."
        return {**result, "Changed": False, "CurrentState": previous, "Message": message}
    modified = rds.modify_db_instance(
        DBInstanceIdentifier=identifier, **{parameter: True}, ApplyImmediately=not pending
    )["DBInstance"]
    return {
        **result,
        "Changed": True,
        "CurrentState": _state(modified, setting),
        "Message": (
            f"Enabled {words} on DB instance {identifier} ({how}). Undo with ModifyDBInstance {parameter}=false."
        ),
    }
