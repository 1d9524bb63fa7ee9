"""Every runbook renders to a schema-valid Automation document; malformed runbooks fail the build."""

from __future__ import annotations

import copy
import dataclasses
import io
import re
import tokenize

import pytest

from catalogue import load_catalogue
from infra.runbooks import (
    GUARD_STEP,
    RunbookError,
    compliance_tables,
    guard_target,
    integer_range_pattern,
    render_document,
    runbook_iam_actions,
    script_for_handler,
    support_constants,
    validate_document,
)

CATALOGUE = load_catalogue()
RUNBOOKS = sorted(CATALOGUE.runbooks)


@pytest.mark.parametrize("name", RUNBOOKS)
def test_runbook_renders_and_passes_the_schema(name):
    runbook = CATALOGUE.runbooks[name]
    document = render_document(runbook)

    assert document["schemaVersion"] == "0.3"
    assert document["parameters"]["AutomationAssumeRole"]["type"] == "String"
    for parameter, spec in document["parameters"].items():
        if spec["type"] == "String":
            assert spec.get("allowedPattern") or spec.get("allowedValues"), f"{name}.{parameter} is unconstrained"
    assert document["outputs"], f"{name} declares no outputs"


@pytest.mark.parametrize("name", RUNBOOKS)
def test_runbook_role_actions_are_explicit(name):
    actions = runbook_iam_actions(CATALOGUE.runbooks[name])

    assert actions
    assert all(":" in a and "*" not in a for a in actions)


def _variant(mutate):
    runbook = CATALOGUE.runbooks["enable_s3_bucket_public_access_block"]
    document = copy.deepcopy(runbook.document)
    mutate(document)
    return dataclasses.replace(runbook, document=document)


def _step(document):
    return document["mainSteps"][0]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: _step(d).update(action="aws:executeMagic"), "fails the Automation schema"),
        (lambda d: _step(d).update(retries=3), "fails the Automation schema"),
        (lambda d: d.update(extraTopLevel=True), "fails the Automation schema"),
        (lambda d: _step(d)["inputs"].update(Handler="no_such_function"), "is not a function in script.py"),
        (lambda d: _step(d)["inputs"].update(Script="print(1)"), "remove Script/Attachment"),
        (lambda d: _step(d)["inputs"].update(Runtime="python3.8"), "Runtime must be python3.11"),
        (lambda d: d.update(assumeRole="arn:aws:iam::123456789012:role/fixed"), "assumeRole must be"),
    ],
)
def test_malformed_runbook_fails_the_build(mutate, message):
    with pytest.raises(RunbookError, match=message):
        render_document(_variant(mutate))


def test_wildcard_action_is_refused():
    runbook = dataclasses.replace(CATALOGUE.runbooks["enable_s3_bucket_public_access_block"], iam_actions=("s3:Put*",))

    with pytest.raises(RunbookError, match="must be explicit"):
        runbook_iam_actions(runbook)


def test_api_steps_add_their_actions():
    runbook = CATALOGUE.runbooks["encrypt_ebs_volume"]

    assert "ec2:DescribeSnapshots" in runbook_iam_actions(runbook)


def _synthesized_documents(outdir) -> dict[str, dict]:
    """Every Automation document of every template in a cloud assembly (nested ones too), by document name."""
    import json

    documents = {}
    for template in outdir.rglob("*.template.json"):
        for resource in json.loads(template.read_text()).get("Resources", {}).values():
            properties = resource.get("Properties") or {}
            if resource["Type"] == "AWS::SSM::Document" and properties.get("DocumentType") == "Automation":
                documents[properties["Name"]] = properties["Content"]
    return documents


def _destructive_documents() -> set[str]:
    """Document names of the runbooks the catalogue records as destructive (the one place it is recorded)."""
    from infra.runbooks import document_name

    return {
        document_name("remedy", CATALOGUE.runbooks[c.remediation.runbook])
        for c in CATALOGUE.controls
        if c.remediation.destructive
    }


@pytest.mark.parametrize("assembly", ["standalone", "organization_assembly"])
def test_every_synthesized_document_previews_and_every_destructive_one_asks_approval(assembly, request):
    outdir = request.getfixturevalue(assembly)
    outdir = outdir[1] if isinstance(outdir, tuple) else outdir
    documents = _synthesized_documents(outdir)
    destructive = _destructive_documents()

    assert documents and destructive <= set(documents)
    for name, document in documents.items():
        assert document["parameters"]["DryRun"] == {**document["parameters"]["DryRun"], "type": "Boolean"}
        assert document["parameters"]["DryRun"]["default"] is False, name
        steps = document["mainSteps"]
        approvals = [i for i, step in enumerate(steps) if step["action"] == "aws:approve"]
        assert bool(approvals) == (name in destructive), name
        if approvals:
            # Only the read-only guard, the read-only plan step and branches come before the first approval.
            before = [step for step in steps[: approvals[0]] if step["action"] != "aws:branch"]
            assert [step["name"] for step in before] == [GUARD_STEP, steps[2]["name"]], name
            # The approver reads the plan step's message (encrypt_ebs_volume: CheckVolume.ApprovalMessage).
            plan = f"{{{{ {steps[2]['name']}.ApprovalMessage }}}}"
            assert all(steps[i]["inputs"]["Message"] == plan for i in approvals), name


def test_remediations_pass_dry_run_false_and_approvers_default_to_the_accounts_approver_role(standalone):
    from simulation.cloud_assembly import CloudAssembly

    assembly = CloudAssembly(standalone[1], "RemedyControls")
    remediations = assembly.of_type("AWS::Config::RemediationConfiguration").values()
    assert remediations
    for remediation in remediations:
        assert remediation["Properties"]["Parameters"]["DryRun"] == {"StaticValue": {"Values": ["false"]}}
    document = assembly.documents()["Remedy-EncryptEbsVolume"]
    assert document["parameters"]["Approvers"]["default"] == [
        f"arn:aws:iam::{assembly.account}:role/remedy-remediation-approver"
    ]
    assert document["parameters"]["ApprovalTopicArn"]["default"] == ""


def test_approval_defaults_from_context():
    from infra.runbooks import approval_defaults

    where = {"prefix": "remedy", "partition": "aws", "account": "123456789012", "region": "eu-west-1"}
    defaults = approval_defaults(
        "role/platform/bank-approvers, arn:aws:iam::123456789012:user/alice", "AutomationApprovals", **where
    )

    assert defaults.approvers == (
        "arn:aws:iam::123456789012:role/platform/bank-approvers",
        "arn:aws:iam::123456789012:user/alice",
    )
    assert defaults.topic_arn == "arn:aws:sns:eu-west-1:123456789012:AutomationApprovals"
    for approvers, topic, message in (
        ("alice", "", "neither an ARN nor role/"),
        (",".join(f"role/r{i}" for i in range(11)), "", "1 to 10 approvers"),
        ("", "approvals", "start with Automation"),
    ):
        with pytest.raises(RunbookError, match=message):
            approval_defaults(approvers, topic, **where)


def test_the_template_gate_schema_checks_documents_as_cloudformation_deploys_them(standalone):
    from infra.check_templates import as_deployed, documents_in

    join = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":role/r"]]}
    assert as_deployed({"default": [join]}) == {"default": ["arn:aws:iam::123456789012:role/r"]}
    assert as_deployed({"Fn::GetAtt": ["X", "Arn"]}) == {"Fn::GetAtt": ["X", "Arn"]}  # not resolved: schema fails
    documents = [doc for t in standalone[1].rglob("*.template.json") for _id, doc in documents_in(t)]
    for document in documents:
        validate_document(document, "synthesized")
    assert len(documents) == len(CATALOGUE.runbooks)


def _resource_parameter(control) -> str:
    return next(name for name, source in control.remediation.parameters.items() if source.kind == "resource")


@pytest.mark.parametrize("control", CATALOGUE.controls, ids=lambda c: c.id)
def test_every_document_starts_with_the_guard_of_its_control(control):
    runbook = CATALOGUE.runbooks[control.remediation.runbook]
    document = render_document(runbook, target=guard_target(CATALOGUE, runbook), prefix="bank")

    guard, branch, first = document["mainSteps"][:3]
    assert first == {**runbook.document["mainSteps"][0], "inputs": first["inputs"]}
    assert (guard["name"], guard["action"], guard["inputs"]["Handler"]) == (
        GUARD_STEP,
        "aws:executeScript",
        "check_remedy_controls",
    )
    payload = guard["inputs"]["InputPayload"]
    assert payload["ControlsParameter"] == "/bank/remediation-controls"
    assert payload["ResourceType"] == control.resource_type
    assert payload["ResourceId"] == f"{{{{ {_resource_parameter(control)} }}}}"
    assert payload["ExclusionTagKey"] == "remedy:exclude"
    assert branch["action"] == "aws:branch" and branch["isEnd"] is True
    (choice,) = branch["inputs"]["Choices"]
    assert choice == {
        "NextStep": first["name"],
        "Variable": "{{ CheckRemedyControls.Outcome }}",
        "StringEquals": "continue",
    }
    # A runbook several controls share takes the control from its caller (remediation configuration, bridge).
    control_id = document["parameters"]["ControlId"]
    assert control.id in control_id["allowedValues"]
    assert control_id.get("default") == (control.id if len(control_id["allowedValues"]) == 1 else None)
    assert document["parameters"]["Trigger"]["default"] == "manual"
    assert set(document["parameters"]["Trigger"]["allowedValues"]) == set(support_constants()["TRIGGERS"])
    assert "CheckRemedyControls.Message" in document["outputs"]
    # The guard's code is the support module's, and no runbook source mentions it.
    assert "def check_remedy_controls" in guard["inputs"]["Script"]
    assert "CheckRemedyControls" not in (runbook.folder / "document.yaml").read_text()


def test_support_imports_are_inlined_in_place_of_the_import():
    source = (CATALOGUE.runbooks["set_iam_password_policy"].folder / "script.py").read_text()

    script = script_for_handler("from __future__ import annotations\n" + source, "set_account_password_policy")

    assert "ssm_documents" not in script
    assert script.count("def _dry_run(") == 1
    assert script.startswith("from __future__ import annotations")
    assert script.count("from __future__") == 1
    namespace: dict = {}
    exec(compile(script, "inlined", "exec"), namespace)  # the build's own output
    assert namespace["_dry_run"]({"DryRun": "true"}) is True


def test_a_runbook_may_not_declare_the_guard_itself():
    runbook = _variant(lambda d: d["parameters"].update(Trigger={"type": "String", "default": "x"}))

    with pytest.raises(RunbookError, match="the build adds the guard"):
        render_document(runbook)


def test_runbook_actions_include_the_guard_s():
    for runbook in CATALOGUE.runbooks.values():
        assert set(support_constants()["IAM_ACTIONS"]) <= set(runbook_iam_actions(runbook))


def test_embedded_scripts_carry_no_comments_and_keep_strings_with_a_hash():
    source = 'X = "a # b"  # why X\n# about f\ndef f(events, context):\n    return X  # the value\n'

    script = script_for_handler(source, "f")

    comments = [t for t in tokenize.generate_tokens(io.StringIO(script).readline) if t.type == tokenize.COMMENT]
    assert comments == []
    assert 'X = "a # b"\n' in script and "    return X\n" in script


# --- What "non-compliant" means: one definition, shared by a rule and its runbook ---------------------------------
SHARED = {
    "set_iam_password_policy": "compliance.iam_password_policy",
    "deactivate_unrotated_iam_access_keys": "compliance.iam_access_key_rotation",
}


@pytest.mark.parametrize(
    ("low", "high", "optional"), [(1, 3650, False), (6, 128, False), (1, 1095, True), (0, 0, False)]
)
def test_range_pattern_accepts_exactly_the_range(low, high, optional):
    pattern = re.compile(integer_range_pattern(low, high, optional=optional))

    for number in range(10 ** (len(str(high)) + 1)):
        assert bool(pattern.fullmatch(str(number))) is (low <= number <= high), number
    assert bool(pattern.fullmatch("")) is optional
    for text in (f"0{high}", f"+{high}", f"-{low}", f" {high}", f"{low}.0"):
        assert not pattern.fullmatch(text), text


@pytest.mark.parametrize(("runbook_name", "module"), SHARED.items())
def test_shared_runbooks_embed_the_compliance_module_and_check_its_parameters(runbook_name, module):
    runbook = CATALOGUE.runbooks[runbook_name]
    document = render_document(runbook)
    integers, _ = compliance_tables(module)

    script = next(s["inputs"]["Script"] for s in document["mainSteps"][2:] if s["action"] == "aws:executeScript")
    assert "compliance" not in [line.split()[1] for line in script.splitlines() if line.startswith("from ")]
    assert "INTEGER_PARAMETERS" in script
    checked = [name for name in integers if name in document["parameters"]]
    assert checked, f"{runbook_name} declares none of {module}'s parameters"
    for name in checked:
        default, low, high = integers[name]
        assert document["parameters"][name]["allowedPattern"] == integer_range_pattern(
            low, high, optional=default is None
        )


@pytest.mark.parametrize(("runbook_name", "module"), SHARED.items())
def test_a_pattern_other_than_the_shared_range_fails_the_build(runbook_name, module):
    runbook = CATALOGUE.runbooks[runbook_name]
    name = next(n for n in compliance_tables(module)[0] if n in runbook.document["parameters"])
    document = copy.deepcopy(runbook.document)
    wrong = r"^[0-9]{1,5}$"
    document["parameters"][name]["allowedPattern"] = wrong

    with pytest.raises(RunbookError) as raised:
        render_document(dataclasses.replace(runbook, document=document))

    message = str(raised.value)
    default, low, high = compliance_tables(module)[0][name]
    assert f"runbook '{runbook_name}'" in message and f"parameter {name} " in message
    assert repr(wrong) in message
    assert repr(integer_range_pattern(low, high, optional=default is None)) in message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "Integer"}, "has type 'Integer', but compliance.iam_password_policy 6..128 requires 'String'"),
        ({"default": "12"}, "has default '12', but compliance.iam_password_policy 6..128 requires '14'"),
    ],
)
def test_a_shared_range_parameter_must_be_a_string_with_the_shared_default(change, message):
    runbook = CATALOGUE.runbooks["set_iam_password_policy"]
    document = copy.deepcopy(runbook.document)
    document["parameters"]["MinimumPasswordLength"].update(change)

    with pytest.raises(RunbookError, match=re.escape(message)):
        render_document(dataclasses.replace(runbook, document=document))


def test_a_shared_flag_must_keep_the_shared_default():
    runbook = CATALOGUE.runbooks["set_iam_password_policy"]
    document = copy.deepcopy(runbook.document)
    document["parameters"]["RequireSymbols"]["default"] = False

    with pytest.raises(RunbookError, match="parameter RequireSymbols has default False"):
        render_document(dataclasses.replace(runbook, document=document))
