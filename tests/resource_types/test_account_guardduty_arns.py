"""AWS::::Account from the ARNs Prowler's guardduty_is_enabled reports (the Region's detector, or none)."""

from __future__ import annotations

import pytest

import resource_types
from resource_types.arn import ACCOUNT_CONFIG_TYPE, MalformedArnError
from tests.conftest import ACCOUNT_ID, REGION

ACCOUNT = resource_types.get(ACCOUNT_CONFIG_TYPE)


@pytest.mark.parametrize("detector", ["detector/12abc34d567e8fa901bc2d34e56789f0", "detector/unknown"])
def test_a_detector_arn_names_its_account(detector):
    arn = f"arn:aws:guardduty:{REGION}:{ACCOUNT_ID}:{detector}"

    assert ACCOUNT.key(arn) == ACCOUNT_ID
    assert resource_types.of_arn(arn) is ACCOUNT


@pytest.mark.parametrize(
    "arn",
    [
        f"arn:aws:guardduty::{ACCOUNT_ID}:detector/unknown",  # no Region: detectors are regional
        f"arn:aws:guardduty:{REGION}:{ACCOUNT_ID}:detector/",
        f"arn:aws:guardduty:{REGION}:{ACCOUNT_ID}:detector/abc/filter/x",
    ],
)
def test_other_guardduty_arns_are_refused(arn):
    with pytest.raises(MalformedArnError):
        ACCOUNT.key(arn)
