"""AWS Config's GetResourceConfigHistory for resources moto does not record (moto 5.2.5 knows S3 buckets only).

Tests that run a rendered runbook need its guard step (CheckRemedyControls) to find the resource recorded, as
AWS Config does for a recorded type: `recorded_in_config` answers from the emulated resources, the way
simulation/config_service.py does for the demo.
"""

from __future__ import annotations

import sys

import botocore.client
import botocore.exceptions


def answer_config_history(monkeypatch) -> None:
    """GetResourceConfigHistory answered from the emulated resources of every registered type (resource_types/)."""
    from simulation.config_service import NotDiscoveredError, configuration_items

    original = botocore.client.BaseClient._make_api_call

    def make_api_call(self, operation_name, api_params):
        if operation_name != "GetResourceConfigHistory":
            return original(self, operation_name, api_params)
        observer = sys.modules.get("tests.infra.call_observer")
        if observer is not None:  # answered here, not by botocore: still the product's call (least privilege)
            observer.record(self, operation_name)
        recorded = configuration_items(api_params["resourceType"], "123456789012", self.meta.region_name)
        items = [i for i in recorded if i["resourceId"] == api_params["resourceId"]]
        if not items:
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": NotDiscoveredError.code, "Message": "not discovered"}}, operation_name
            )
        return {"configurationItems": [{"configurationItemStatus": "OK", "tags": items[0]["tags"]}]}

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)
