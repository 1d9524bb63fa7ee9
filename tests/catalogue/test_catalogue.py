"""The catalogue loads, and every kind of bad entry fails naming the entry and the field."""

from __future__ import annotations

import copy

import pytest
import yaml

from catalogue import DEFAULT_CATALOGUE, CatalogueError, load_catalogue

RAW = yaml.safe_load(DEFAULT_CATALOGUE.read_text())


def _load_with(tmp_path, mutate):
    raw = copy.deepcopy(RAW)
    mutate(raw["controls"])
    path = tmp_path / "controls.yaml"
    path.write_text(yaml.safe_dump(raw))
    return load_catalogue(path)


def _entry(controls, control_id):
    return next(c for c in controls if c["id"] == control_id)


def test_the_shipped_catalogue_loads_with_its_rules_and_runbooks():
    catalogue = load_catalogue()

    # Every entry, in the file's order.
    assert [c.id for c in catalogue.controls] == [entry["id"] for entry in RAW["controls"]]
    assert set(catalogue.rules) == {c.detection.rule for c in catalogue.controls}
    assert set(catalogue.runbooks) == {c.remediation.runbook for c in catalogue.controls}
    for control in catalogue.controls:
        assert control.prowler_checks, control.id
        # Each control meets a Security Hub / CIS requirement: an FSBP id, or a CIS v3.0 one where FSBP has none
        # (CIS v3.0 section 4's CloudTrail metric filters and alarms are in no FSBP control).
        assert control.frameworks.get("aws_fsbp") or control.frameworks.get("cis_aws_v3.0"), control.id


def test_prowler_map_covers_current_and_legacy_ids():
    checks = load_catalogue().prowler_check_map()

    expected = {
        check: entry["id"]
        for entry in RAW["controls"]
        for check in (*entry["prowler"]["checks"], *entry["prowler"]["legacy_checks"])
    }
    assert expected
    assert any(entry["prowler"]["legacy_checks"] for entry in RAW["controls"])  # the legacy ids are exercised
    assert checks == expected


def test_automatic_and_destructive_flags_are_as_declared():
    catalogue = load_catalogue()

    # A remediation that requires deployment context is automatic only in a deployment that sets it
    # (test below); read alone, the catalogue says manual.
    assert {c.id: c.remediation.automatic for c in catalogue.controls} == {
        e["id"]: e["remediation"]["automatic"] and not e["remediation"].get("automatic_requires")
        for e in RAW["controls"]
    }
    assert {c.id: c.remediation.destructive for c in catalogue.controls} == {
        e["id"]: e["remediation"]["destructive"] for e in RAW["controls"]
    }


def test_a_deployment_makes_context_dependent_remediations_automatic_only_with_their_context():
    from catalogue import ParameterSource, deployed

    catalogue = load_catalogue()
    requiring = [c for c in catalogue.controls if c.remediation.automatic_requires]
    assert requiring, "the catalogue has a context-dependent remediation to test"
    context = {key: f"value-of-{key}" for c in requiring for key in c.remediation.automatic_requires}

    with_context = deployed(catalogue, context.get)
    without = deployed(catalogue, {}.get)

    for control in requiring:
        declared = RAW["controls"][[c.id for c in catalogue.controls].index(control.id)]["remediation"]
        assert with_context.control(control.id).remediation.automatic is declared["automatic"]
        assert without.control(control.id).remediation.automatic is False
        for name, source in control.remediation.parameters.items():
            if source.kind == "context":
                value = ParameterSource("value", context[source.value]) if source.value in context else None
                assert with_context.control(control.id).remediation.parameters.get(name) == value
                # Unset: the runbook's default applies, and a person decides.
                assert name not in without.control(control.id).remediation.parameters
    others = [c for c in catalogue.controls if c not in requiring]
    assert [with_context.control(c.id).remediation.automatic for c in others] == [
        c.remediation.automatic for c in others
    ]


def _set(control_id, path, value):
    def mutate(controls):
        node = _entry(controls, control_id)
        *parents, last = path.split(".")
        for part in parents:
            node = node[part]
        if value is None:
            del node[last]
        else:
            node[last] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            _set("s3-bucket-kms-encryption", "detection.rule", "no_such_rule"),
            "control 's3-bucket-kms-encryption': field 'detection.rule': unknown rule module 'no_such_rule'",
        ),
        (
            _set("s3-bucket-kms-encryption", "remediation.runbook", "no_such_runbook"),
            "control 's3-bucket-kms-encryption': field 'remediation.runbook': unknown runbook 'no_such_runbook'",
        ),
        (
            _set("s3-bucket-kms-encryption", "remediation.parameters", {}),
            "control 's3-bucket-kms-encryption': field 'remediation.parameters': "
            "runbook parameter 'BucketName' is left unfilled",
        ),
        (
            _set("ec2-ebs-volume-encryption", "remediation.automatic", True),
            "control 'ec2-ebs-volume-encryption': field 'remediation.automatic': a destructive remediation "
            "is never automatic unless allow_destructive_automatic: true",
        ),
        (
            _set("iam-password-policy", "remediation.parameters.MaxPasswordAge", {"rule_parameter": "MaxAge"}),
            "control 'iam-password-policy': field 'remediation.parameters.MaxPasswordAge': "
            "rule parameter 'MaxAge' is not in detection.parameters",
        ),
        (
            _set("s3-bucket-kms-encryption", "remediation.parameters.Bucket", {"value": "x"}),
            "control 's3-bucket-kms-encryption': field 'remediation.parameters.Bucket': "
            "runbook 'enable_s3_bucket_kms_encryption' has no such parameter",
        ),
        (
            _set("iam-access-key-rotation", "remediation.maximum_attempts", 30),
            "control 'iam-access-key-rotation': field 'remediation.maximum_attempts': must be between 1 and 25",
        ),
        (
            _set("iam-access-key-rotation", "detection.parameters.MaxAccessKeyAge", 90),
            "control 'iam-access-key-rotation': field 'detection.parameters.MaxAccessKeyAge': "
            "rule parameters are strings",
        ),
        (
            _set("iam-access-key-rotation", "severity", "URGENT"),
            "control 'iam-access-key-rotation': field 'severity': must be one of",
        ),
        (
            _set("iam-access-key-rotation", "title", None),
            "control 'iam-access-key-rotation': field 'title': is required",
        ),
        (
            _set("s3-bucket-kms-encryption", "detection.trigger", {"change": ["AWS::EC2::Volume"]}),
            "control 's3-bucket-kms-encryption': field 'detection.trigger.change': "
            "['AWS::EC2::Volume'] not in the rule's APPLICABLE_RESOURCES",
        ),
        (
            _set("iam-password-policy", "detection.resource_type", "AWS::Example::None"),
            "control 'iam-password-policy': field 'detection.resource_type': ['AWS::Example::None'] not in the "
            "resource-type registry",
        ),
        (
            _set("iam-password-policy", "detection.trigger", {"periodic": "Daily"}),
            "control 'iam-password-policy': field 'detection.trigger.periodic': must be one of",
        ),
        (
            _set("iam-password-policy", "remediation.parameters.AutomationAssumeRole", {"value": "arn"}),
            "control 'iam-password-policy': field 'remediation.parameters.AutomationAssumeRole': "
            "is filled by the deployment",
        ),
    ],
)
def test_bad_entry_names_the_entry_and_the_field(tmp_path, mutate, expected):
    with pytest.raises(CatalogueError) as raised:
        _load_with(tmp_path, mutate)

    assert expected in str(raised.value)


def test_duplicate_id_is_refused(tmp_path):
    def mutate(controls):
        controls.append(copy.deepcopy(_entry(controls, "iam-access-key-rotation")))

    with pytest.raises(CatalogueError, match="control 'iam-access-key-rotation': field 'id': duplicate of entry #4"):
        _load_with(tmp_path, mutate)


def test_prowler_check_claimed_twice_is_refused(tmp_path):
    def mutate(controls):
        _entry(controls, "s3-bucket-kms-encryption")["prowler"]["legacy_checks"] = ["extra729"]

    with pytest.raises(CatalogueError, match="check 'extra729' already mapped"):
        _load_with(tmp_path, mutate)


def test_destructive_automatic_with_explicit_opt_in_loads(tmp_path):
    def mutate(controls):
        remediation = _entry(controls, "ec2-ebs-volume-encryption")["remediation"]
        remediation["automatic"] = True
        remediation["allow_destructive_automatic"] = True

    assert _load_with(tmp_path, mutate).control("ec2-ebs-volume-encryption").remediation.automatic


def test_every_problem_is_reported_at_once(tmp_path):
    def mutate(controls):
        _entry(controls, "iam-access-key-rotation")["severity"] = "URGENT"
        _entry(controls, "s3-bucket-kms-encryption")["detection"]["rule"] = "nope"

    with pytest.raises(CatalogueError, match="2 problem"):
        _load_with(tmp_path, mutate)


def test_readme_coverage_and_table_are_generated_from_the_catalogue():
    from catalogue import REPO_ROOT, readme_section

    readme = (REPO_ROOT / "README.md").read_text()
    start, end = "<!-- catalogue-table:start -->\n", "<!-- catalogue-table:end -->"
    current = readme.split(start, 1)[1].split(end, 1)[0]

    assert current == readme_section(load_catalogue()), "README block is stale: run python -m catalogue"
