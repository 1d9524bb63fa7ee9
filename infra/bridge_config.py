"""The Prowler bridge's configuration, derived from the catalogue at synth (never a hand-kept table).

Written as bridge_config.json into the bridge Lambda's asset; the local simulation reads the same file
from the synthesized cloud assembly.
"""

from __future__ import annotations

from catalogue import Catalogue
from infra.config_resources import rule_name
from infra.runbooks import document_name

EXCLUSION_TAG_KEY = "remedy:exclude"
# IAM role names are unique per account: the region keeps one deployment per region apart.
ROLE_NAME_MAX = 64
REGION_MAX = len("-ap-southeast-2")


def runbook_role_name_template(prefix: str, document_stem: str) -> str:
    """Deterministic runbook role name, `{region}` filled at deploy (stack) and run time (bridge)."""
    name = f"{prefix}-{document_stem}-{{region}}"
    if len(name) - len("{region}") + REGION_MAX > ROLE_NAME_MAX:
        raise ValueError(
            f"runbook role name {name!r} would exceed {ROLE_NAME_MAX} characters; shorten the runbook name"
        )
    return name


def bridge_config(catalogue: Catalogue, prefix: str) -> dict:
    """Everything the bridge needs to map a Prowler finding to a runbook execution."""
    controls = {}
    for control in catalogue.controls:
        runbook = catalogue.runbooks[control.remediation.runbook]
        static, resource_parameter = {}, None
        for name, source in control.remediation.parameters.items():
            if source.kind == "resource":
                resource_parameter = name
            elif source.kind == "rule_parameter":
                static[name] = control.detection.parameters[source.value]
            else:
                static[name] = source.value
        controls[control.id] = {
            "document": document_name(prefix, runbook),
            "runbook_role_name": runbook_role_name_template(prefix, runbook.document_stem),
            "config_rule": rule_name(prefix, control),
            "automatic": control.remediation.automatic,
            "resource_type": control.resource_type,
            "resource_parameter": resource_parameter,
            "parameters": static,
        }
    return {
        "version": 1,
        "prefix": prefix,
        "exclusion_tag_key": EXCLUSION_TAG_KEY,
        "checks": catalogue.prowler_check_map(),
        "controls": controls,
    }
