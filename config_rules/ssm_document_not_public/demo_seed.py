"""Demo seed: Command documents owned by the account, public and private."""

from __future__ import annotations

import resource_types
from catalogue import Control
from resource_types.ssm_document.simulation import create_document
from simulation.seeds import SeededResource

# Document name -> (shared with, note). No named-account share: Prowler fails a share with an account outside its
# trusted_account_ids, which SSM.4 and this control do not judge.
DOCUMENTS = {
    "Payments-CollectDiagnostics": (["all"], "shared publicly (all accounts)"),
    "Claims-RotateAppLogs": ([], "not shared"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    kind = resource_types.get(control.resource_type)
    seeded = []
    for name, (shared, note) in DOCUMENTS.items():
        create_document(region, name, shared)
        arn = kind.to_arn(name, region=region, account=account)
        seeded.append(SeededResource(control.id, kind.config_type, name, arn, "all" in shared, f"{name}: {note}"))
    return seeded
