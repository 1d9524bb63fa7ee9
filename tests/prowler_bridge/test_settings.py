"""Configuration: bridge_config.json from the catalogue, environment variables; bad values fail clearly."""

from __future__ import annotations

import copy
import json
import re

import pytest

from prowler_bridge import handler, settings
from prowler_bridge.settings import ConfigurationError, load_bridge_config, load_settings, parse_bridge_config
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import bridge_config_dict

ENV = {
    "LEDGER_TABLE": "t",
    "FAILURE_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t",
    "FAILURE_QUEUE_URL": "https://q",
    "AUDIT_BUCKET": "audit",
}


def test_config_from_catalogue_parses_and_maps_every_check():
    config = parse_bridge_config(bridge_config_dict())
    for check, control_id in bridge_config_dict()["checks"].items():
        assert config.control_for_check(check).id == control_id
    assert config.control_for_check("extra729").resource_type == "AWS::EC2::Volume"
    assert config.controls["iam-password-policy"].role_name("eu-west-1") == "remedy-SetIamPasswordPolicy-eu-west-1"
    assert config.control_for_security_control("S3.8").id == "s3-bucket-level-public-access-block"
    assert config.control_for_standard_control("cis-aws-foundations-benchmark/v/3.0.0/1.14").id == (
        "iam-access-key-rotation"
    )
    assert config.action_target_id == "RemedyRemediate"


def _broken(change) -> dict:
    raw = copy.deepcopy(bridge_config_dict())
    change(raw)
    return raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "expected a JSON object"),
        (_broken(lambda r: r.update(version=2)), "'version' must be 1"),
        (_broken(lambda r: r.update(exclusion_tag_key="")), "exclusion_tag_key"),
        (_broken(lambda r: r["checks"].update(x="no-such-control")), "unknown control"),
        (_broken(lambda r: r["controls"]["iam-password-policy"].pop("document")), "iam-password-policy.document"),
        (_broken(lambda r: r["controls"]["iam-password-policy"].update(automatic="yes")), "automatic must be a bool"),
        (_broken(lambda r: r["controls"]["iam-password-policy"].update(runbook_role_name="fixed")), "{region}"),
        (
            _broken(lambda r: r["controls"]["iam-password-policy"].update(runbook_role_path="/run books/")),
            "runbook_role_path must be printable ASCII",
        ),
        (
            _broken(lambda r: r["controls"]["iam-password-policy"].update(runbook_role_path="runbooks")),
            "runbook_role_path must start and end with '/'",
        ),
        (_broken(lambda r: r.pop("action_target_id")), "'action_target_id' must be 1-20 letters and digits"),
        (_broken(lambda r: r.update(action_target_id="Remedy-Remediate")), "action_target_id"),
        (_broken(lambda r: r.update(security_controls=["S3.8"])), "'security_controls' must map"),
        (_broken(lambda r: r["security_controls"].update({"S3.1": "nope"})), "'security_controls' maps to unknown"),
        (_broken(lambda r: r["standard_controls"].update({"x": 1})), "'standard_controls' must map"),
    ],
)
def test_bad_config_is_a_clear_error(raw, message):
    with pytest.raises(ConfigurationError, match=message.replace("{", r"\{").replace("}", r"\}")):
        parse_bridge_config(raw)


def test_config_path_override_and_missing_file(tmp_path):
    settings.reset_caches()
    path = tmp_path / "bridge_config.json"
    path.write_text(json.dumps(bridge_config_dict()))
    assert load_bridge_config({"BRIDGE_CONFIG_PATH": str(path)}).prefix == "remedy"
    with pytest.raises(ConfigurationError, match="cannot read bridge configuration"):
        load_bridge_config({"BRIDGE_CONFIG_PATH": str(tmp_path / "missing.json")})
    settings.reset_caches()


def test_default_config_path_is_next_to_handler():
    assert settings.DEFAULT_CONFIG_PATH.parent == settings.Path(handler.__file__).resolve().parent
    assert settings.DEFAULT_CONFIG_PATH.name == "bridge_config.json"


def test_settings_defaults():
    loaded = load_settings({**ENV, "AWS_REGION": "eu-west-1"})
    assert loaded.allowed_regions == {"eu-west-1"}
    assert loaded.allowed_accounts == frozenset()
    assert loaded.member_role_name == "remedy-bridge-member-{region}"
    assert loaded.member_role_path == "/remedy/"
    assert loaded.ledger_ttl_hours == 24
    assert loaded.organization_id == ""


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"ORGANIZATION_ID": "org-123"}, "ORGANIZATION_ID"),
        ({"MEMBER_ROLE_NAME": "one-role-for-all-regions"}, "{region}"),
        ({"MEMBER_ROLE_PATH": "remedy/"}, "MEMBER_ROLE_PATH must start and end with '/'"),
        ({"MEMBER_ROLE_PATH": "/remedy"}, "MEMBER_ROLE_PATH must start and end with '/'"),
        ({"MEMBER_ROLE_PATH": "/my path/"}, "MEMBER_ROLE_PATH must be printable ASCII without spaces"),
        ({"MEMBER_ROLE_PATH": "/pfad/ä/"}, "MEMBER_ROLE_PATH must be printable ASCII without spaces"),
        ({"MEMBER_ROLE_PATH": "/" + "p" * 511 + "/"}, "at most 512 characters"),
        ({"MEMBER_ROLE_PATH": "/remedy/*/"}, "must not contain '*', '?' or '$'"),
        ({"MEMBER_ROLE_PATH": "/${aws:username}/"}, "must not contain '*', '?' or '$'"),
    ],
)
def test_bad_organization_or_member_role_is_refused(variables, message):
    with pytest.raises(settings.ConfigurationError, match=re.escape(message)):
        load_settings({**ENV, "AWS_REGION": "eu-west-1", **variables})


def test_member_role_path_from_the_environment():
    loaded = load_settings({**ENV, "AWS_REGION": "eu-west-1", "MEMBER_ROLE_PATH": "/platform/remedy/"})
    assert loaded.member_role_path == "/platform/remedy/"
    assert load_settings({**ENV, "AWS_REGION": "eu-west-1", "MEMBER_ROLE_PATH": "/"}).member_role_path == "/"


def test_settings_lists():
    loaded = load_settings(
        {**ENV, "AWS_REGION": "eu-west-1", "ALLOWED_ACCOUNTS": " 111111111111, 222222222222 ", "ALLOWED_REGIONS": "a,b"}
    )
    assert loaded.allowed_accounts == {"111111111111", "222222222222"}
    assert loaded.allowed_regions == {"a", "b"}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"AWS_REGION": "us-east-1"}, "LEDGER_TABLE"),
        ({**ENV}, "AWS_REGION"),
        ({**ENV, "AWS_REGION": "us-east-1", "LEDGER_TTL_HOURS": "0"}, "LEDGER_TTL_HOURS"),
        ({**ENV, "AWS_REGION": "us-east-1", "ALLOWED_ACCOUNTS": "123"}, "ALLOWED_ACCOUNTS"),
    ],
)
def test_bad_environment_is_a_clear_error(environ, message):
    with pytest.raises(ConfigurationError, match=message):
        load_settings(environ)


def test_missing_config_makes_no_aws_call(bridge, monkeypatch, tmp_path):
    monkeypatch.setenv("BRIDGE_CONFIG_PATH", str(tmp_path / "absent.json"))
    with pytest.raises(ConfigurationError):
        handler.lambda_handler(asff.imported_event(asff.prowler_finding("check14", asff.user_arn())), None)
    assert bridge.calls.calls == []


def test_own_account_is_asked_once(bridge):
    finding = asff.prowler_finding("s3_bucket_kms_encryption", asff.bucket_arn())
    handler.lambda_handler(asff.imported_event(finding), None)
    handler.lambda_handler(asff.imported_event(finding), None)
    assert bridge.calls.operations.count("GetCallerIdentity") == 1
