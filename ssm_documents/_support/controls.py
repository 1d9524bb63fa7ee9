"""Runbook support shared by every runbook; the build inlines what a step's handler uses (infra/runbooks.py).

check_remedy_controls is the guard step the build puts first in every runbook (CheckRemedyControls). Before
anything else runs it reads the run-time controls of this account and region, the SSM parameter
/<prefix>/remediation-controls, a JSON string such as {"paused": false, "modes": {"<control id>": "manual"}}:
  paused   true: every automatic run (AWS Config automatic remediation, the bridge's imported findings) is skipped
  modes    per control, "off" (every run skipped), "manual" (automatic runs skipped) or "automatic" (no
           restriction). Modes only restrict: the catalogue's remediation.automatic stays the upper bound.
A missing parameter means the defaults (not paused, no overrides); a malformed one fails the run (fail closed).
Then it reads the resource's tags from its latest AWS Config configuration item: a resource tagged with the
exclusion tag (remedy:exclude) is skipped on every path, a person's run included. A skip ends the execution as
Success with Outcome "skipped" and nothing changed; refusing to run (malformed parameter, tags that cannot be read)
fails it.
"""

import json

import boto3
import botocore.exceptions

# Every action the guard calls: the build adds them to every runbook role (ssm:GetParameter on the one parameter).
IAM_ACTIONS = ("ssm:GetParameter", "config:GetResourceConfigHistory")
MODES = ("off", "manual", "automatic")
# Who started the run (the runbook's Trigger parameter) -> whether the run is automatic.
TRIGGERS = {
    "manual": False,  # a person starting the runbook (the parameter's default)
    "config-manual": False,  # AWS Config's Remediate button, on a control whose remediation is not automatic
    "config-automatic": True,  # AWS Config, remediation configuration with Automatic true (its button too)
    "bridge-manual": False,  # the bridge, on Security Hub's "Remediate" custom action
    "bridge-automatic": True,  # the bridge, on an imported finding
}
# Config resource types that carry no tags: no tag read (AWS::::Account is the pseudo type of periodic rules).
UNTAGGED_RESOURCE_TYPES = ("AWS::::Account",)
# Configuration item statuses whose tags are the resource's current ones:
# https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigurationItem.html
CURRENT_ITEM_STATUSES = ("OK", "ResourceDiscovered")
CONTINUE, SKIPPED = "continue", "skipped"
SKIP_MESSAGES = {
    "mode_off": "remediation of control {control} is off",
    "paused": "automatic remediation is paused in this account and region",
    "mode_manual": "control {control} is in manual mode and this run is automatic ({trigger})",
    "excluded_by_tag": "{resource_type} {resource_id} is tagged {tag}",
}


def _flag(events: dict, name: str) -> bool:
    """A Boolean input (or its text, as SSM may pass it); absent is false, anything else is refused."""
    value = events.get(name, False)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


def _dry_run(events: dict) -> bool:
    """The DryRun parameter; anything but true or false is refused."""
    return _flag(events, "DryRun")


def parse_controls(text: str | None) -> dict:
    """{"paused": bool, "modes": {control id: mode}} from the parameter's value; None (no parameter): defaults.

    Anything else than that shape raises ValueError: a control meant to stop remediation is never ignored."""
    if text is None:
        return {"paused": False, "modes": {}}
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise ValueError(f"the remediation controls parameter is not JSON ({error})") from None
    if not isinstance(raw, dict) or set(raw) - {"paused", "modes"}:
        raise ValueError('the remediation controls parameter must be an object with only "paused" and "modes"')
    paused, modes = raw.get("paused", False), raw.get("modes", {})
    if not isinstance(paused, bool):
        raise ValueError(f'"paused" must be true or false, got {paused!r}')
    if not isinstance(modes, dict) or not all(isinstance(k, str) and v in MODES for k, v in modes.items()):
        raise ValueError(f'"modes" must map control ids to one of {MODES}, got {modes!r}')
    return {"paused": paused, "modes": dict(modes)}


def skip_reason(controls: dict, control_id: str, automatic: bool) -> str | None:
    """Why this run must not change anything (mode_off, paused, mode_manual), or None."""
    mode = controls["modes"].get(control_id, "automatic")
    if mode == "off":
        return "mode_off"
    if automatic and controls["paused"]:
        return "paused"
    if automatic and mode == "manual":
        return "mode_manual"
    return None


def _read_controls(name: str) -> dict:
    """The parsed parameter `name`; the defaults when it does not exist. Any other error is raised."""
    try:
        value = boto3.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] != "ParameterNotFound":
            raise
        value = None
    try:
        return parse_controls(value)
    except ValueError as error:
        raise ValueError(f"Refusing to run, nothing changed: {name}: {error}") from None


def _resource_tags(resource_type: str, resource_id: str) -> dict | None:
    """The resource's tags in its latest AWS Config configuration item; None for a type without tags.

    https://docs.aws.amazon.com/config/latest/APIReference/API_GetResourceConfigHistory.html returns the items
    newest first, each with `tags`. A resource Config has not recorded (ResourceNotDiscoveredException: the
    recorder does not record its type, or has not yet) or whose item is not current cannot be checked for the
    exclusion tag: the run is refused (RuntimeError) rather than run against a tag it could not see."""
    if resource_type in UNTAGGED_RESOURCE_TYPES:
        return None
    refused = f"Refusing to run, nothing changed: cannot read the tags of {resource_type} {resource_id} from AWS Config"
    try:
        items = boto3.client("config").get_resource_config_history(
            resourceType=resource_type, resourceId=resource_id, limit=1
        )["configurationItems"]
    except botocore.exceptions.ClientError as error:
        code = error.response["Error"]["Code"]
        raise RuntimeError(f"{refused} ({code}); is the type recorded in this region?") from None
    status = items[0].get("configurationItemStatus") if items else None
    if status not in CURRENT_ITEM_STATUSES:
        raise RuntimeError(f"{refused} (latest configuration item status: {status})")
    return items[0].get("tags") or {}


def check_remedy_controls(events: dict, context: object) -> dict:
    """The guard: Outcome "continue", or "skipped" with the Reason (paused, mode_off, mode_manual,
    excluded_by_tag) and a Message. Reads only; the same with DryRun true (then the message says so)."""
    dry_run = _dry_run(events)
    trigger, control_id = events.get("Trigger"), events.get("ControlId")
    if trigger not in TRIGGERS:
        raise ValueError(f"Trigger must be one of {sorted(TRIGGERS)}, got {trigger!r}")
    if not isinstance(control_id, str) or not control_id:
        raise ValueError(f"ControlId must name the control this run serves, got {control_id!r}")
    controls = _read_controls(events["ControlsParameter"])
    reason = skip_reason(controls, control_id, TRIGGERS[trigger])
    if reason is None:
        tags = _resource_tags(events["ResourceType"], events["ResourceId"])
        if tags is not None and events["ExclusionTagKey"] in tags:
            reason = "excluded_by_tag"
    where = {
        "control": control_id,
        "trigger": trigger,
        "resource_type": events["ResourceType"],
        "resource_id": events["ResourceId"],
        "tag": events["ExclusionTagKey"],
    }
    if reason is None:
        message = f"Remediation controls allow this run of {control_id} ({trigger})."
    else:
        message = f"Skipped, nothing changed: {SKIP_MESSAGES[reason].format(**where)}."
    prefix = "Dry run: " if dry_run else ""
    return {
        "Outcome": CONTINUE if reason is None else SKIPPED,
        "Reason": reason or "",
        "DryRun": dry_run,
        "Message": prefix + message,
    }
