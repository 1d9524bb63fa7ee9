"""The resource-type registry: every catalogue type declared, ARN <-> AWS Config id round trips, clear errors.

Expectations come from the catalogue and the demo seeds (which record each resource's AWS Config id and ARN as
the emulated AWS made them), so a new type or control needs no edit here.
"""

from __future__ import annotations

import boto3
import pytest

import resource_types
from catalogue import load_catalogue
from resource_types.arn import MalformedArnError, parse_arn
from simulation.config_service import configuration_items
from simulation.seeds import SEEDS
from tests.conftest import ACCOUNT_ID, REGION

CATALOGUE = load_catalogue()
CATALOGUE_TYPES = sorted({c.resource_type for c in CATALOGUE.controls})


def test_every_catalogue_resource_type_is_registered():
    for control in CATALOGUE.controls:
        for name in control.detection.resource_types:
            assert resource_types.get(name).config_type == name, control.id


def test_an_unknown_type_is_a_clear_error_naming_the_registered_ones():
    with pytest.raises(resource_types.UnknownResourceTypeError, match=r"AWS::Example::None.*resource_types/") as err:
        resource_types.get("AWS::Example::None")
    assert all(t.config_type in str(err.value) for t in resource_types.all_types())


def test_types_are_listed_once_each_with_their_names_and_simulation():
    names = [t.config_type for t in resource_types.all_types()]
    assert len(names) == len(set(names)) and set(CATALOGUE_TYPES) <= set(names)
    for kind in resource_types.all_types():
        assert kind.asff_type and kind.ocsf_type, kind.config_type
        simulation = kind.simulation()
        assert callable(simulation.configuration_items) and callable(simulation.stale_key), kind.config_type


@pytest.fixture
def seeded(aws, realistic_iam_user_ids):
    """Every catalogue control's demo resources in the emulated account: (control, seeded resource)."""
    return [(control, r) for control in CATALOGUE.controls for r in SEEDS[control.id](ACCOUNT_ID, REGION)]


def test_arn_to_config_id_and_back_for_every_seeded_resource(seeded, api_calls):
    for control, resource in seeded:
        kind = resource_types.get(control.resource_type)
        api_calls.clear()
        assert kind.resource_id(resource.arn, boto3.client) == resource.resource_id, resource.arn
        # A lookup calls only what its grants allow; a static type calls nothing.
        api_calls.assert_within({a for g in kind.lookup_grants for a in g.actions})
        assert bool(api_calls.calls) == (kind.lookup is not None), kind.config_type
        key = kind.key(resource.arn)
        assert kind.to_arn(key, region=REGION, account=ACCOUNT_ID) == resource.arn
        assert resource_types.of_arn(resource.arn) is kind


def test_configuration_items_carry_the_id_the_arn_resolves_to(seeded):
    for name in CATALOGUE_TYPES:
        kind = resource_types.get(name)
        for item in configuration_items(name, ACCOUNT_ID, REGION):
            assert kind.resource_id(item["ARN"], boto3.client) == item["resourceId"], item["ARN"]


def test_a_stale_key_names_no_existing_resource(seeded):
    for name in CATALOGUE_TYPES:
        kind = resource_types.get(name)
        key = kind.simulation().stale_key(ACCOUNT_ID, REGION)
        if key is None:
            continue
        arn = kind.to_arn(key, region=REGION, account=ACCOUNT_ID)
        existing = {item["resourceId"] for item in configuration_items(name, ACCOUNT_ID, REGION)}
        assert kind.key(arn) == key and key not in existing


@pytest.mark.parametrize("kind", resource_types.all_types(), ids=lambda t: t.config_type)
def test_each_type_refuses_an_arn_of_another_service(kind):
    with pytest.raises(MalformedArnError):
        kind.parse(parse_arn(f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/example"))


def test_of_arn_is_none_for_an_unregistered_or_malformed_arn():
    assert resource_types.of_arn(f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/example") is None
    assert resource_types.of_arn("not an arn") is None
