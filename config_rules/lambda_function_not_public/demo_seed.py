"""Demo seed: functions whose policies let anyone invoke them, one invoked by S3 of this account only, one with no
policy."""

from __future__ import annotations

import resource_types
from catalogue import Control
from resource_types.lambda_function.simulation import create_function
from simulation.seeds import SeededResource

INVOKE = "lambda:InvokeFunction"


def _functions(account: str) -> dict[str, tuple[list[dict], bool, str]]:
    """Function name -> (AddPermission arguments, non-compliant, note)."""
    bucket = f"arn:aws:s3:::statements-inbox-{account}"
    return {
        "payments-webhook": (
            [{"StatementId": "public-invoke", "Action": INVOKE, "Principal": "*"}],
            True,
            "anyone may invoke it (principal *, no condition)",
        ),
        "fx-rates-feed": (
            [
                {"StatementId": "anyone-get", "Action": "lambda:GetFunction", "Principal": "*"},
                {
                    "StatementId": "events",
                    "Action": INVOKE,
                    "Principal": "events.amazonaws.com",
                    "SourceAccount": account,
                },
            ],
            True,
            "anyone may read it (principal *), EventBridge of this account may invoke it",
        ),
        "statement-batch": (
            [
                {
                    "StatementId": "s3-invoke",
                    "Action": INVOKE,
                    "Principal": "s3.amazonaws.com",
                    "SourceArn": bucket,
                    "SourceAccount": account,
                }
            ],
            False,
            "invoked by one S3 bucket of this account only",
        ),
        "ledger-export": ([], False, "no resource-based policy"),
    }


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    kind = resource_types.get(control.resource_type)
    seeded = []
    for name, (permissions, public, note) in _functions(account).items():
        create_function(region, name, permissions)
        arn = kind.to_arn(name, region=region, account=account)
        seeded.append(SeededResource(control.id, kind.config_type, name, arn, public, f"{name}: {note}"))
    return seeded
