"""The bridge's wiring is derived from the catalogue: patterns, configuration, least privilege, encryption."""

from __future__ import annotations

import copy
import json

import pytest

from catalogue import deployed, load_catalogue
from infra.bridge_config import bridge_config
from infra.bridge_resources import MAX_PATTERN_CHARS
from prowler_bridge import handler
from tests.infra.conftest import of_type

CATALOGUE = load_catalogue()
CONFIG = bridge_config(deployed(CATALOGUE, lambda _key: None), "remedy")  # as synthesized without context


def _rule(template, description_start):
    (rule,) = [
        r
        for r in of_type(template, "AWS::Events::Rule").values()
        if r["Properties"]["Description"].startswith(description_start)
    ]
    return rule["Properties"]


def _bridge_function_id(template):
    (function_id,) = [
        k
        for k, f in of_type(template, "AWS::Lambda::Function").items()
        if f["Properties"]["Handler"] == "prowler_bridge.handler.lambda_handler"
    ]
    return function_id


def _bridge_function(template):
    (function,) = [
        f
        for f in of_type(template, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "prowler_bridge.handler.lambda_handler"
    ]
    return function


def _lookup_actions_not_needed(catalogue=CATALOGUE):
    """Lookup actions the bridge declares (every registered type's) that no catalogue resource type needs."""
    import resource_types

    needed = {
        action
        for name in {c.resource_type for c in catalogue.controls}
        for grant in resource_types.get(name).lookup_grants
        for action in grant.actions
    }
    return set(handler.LOOKUP_IAM_ACTIONS) - needed


def _declared_bridge_actions():
    """What the bridge declares it calls, less the lookups of resource types the catalogue does not use."""
    return set(handler.IAM_ACTIONS) - _lookup_actions_not_needed()


def test_imported_findings_rule_lists_every_catalogue_check(standalone):
    pattern = _rule(standalone[0], "Failed Prowler findings")["EventPattern"]

    findings = pattern["detail"]["findings"]
    expected = {
        f"prowler-{check}" for c in CATALOGUE.controls for check in (*c.prowler_checks, *c.prowler_legacy_checks)
    }
    # The rule lists the checks while they fit EventBridge's pattern size (with headroom), else matches every
    # Prowler GeneratorId by prefix and the bridge skips the unmapped ones (unmapped_check).
    listed = copy.deepcopy(pattern)
    listed["detail"]["findings"]["GeneratorId"] = sorted(expected)
    if len(json.dumps(listed)) <= MAX_PATTERN_CHARS:
        assert set(findings["GeneratorId"]) == expected
    else:
        assert findings["GeneratorId"] == [{"prefix": "prowler-"}]
    assert all(generator.startswith("prowler-") for generator in expected)
    assert set(CONFIG["checks"]) == {generator.removeprefix("prowler-") for generator in expected}
    assert findings["Compliance"] == {"Status": ["FAILED"]}
    assert findings["RecordState"] == ["ACTIVE"]
    assert findings["Workflow"] == {"Status": ["NEW", "NOTIFIED"]}
    assert findings["ProductFields"] == {"ProviderName": ["Prowler"]}


def test_automation_status_rule_lists_every_runbook_document(standalone):
    pattern = _rule(standalone[0], "Remedy runbook executions ending")["EventPattern"]

    assert set(pattern["detail"]["Definition"]) == {f"Remedy-{r.document_stem}" for r in CATALOGUE.runbooks.values()}
    assert pattern["detail-type"] == ["EC2 Automation Execution Status-change Notification"]


def test_custom_action_rule_matches_only_our_action_target(standalone):
    template = standalone[0]
    (target_id,) = of_type(template, "AWS::SecurityHub::ActionTarget")
    pattern = _rule(template, "Security Hub 'Remediate' custom action")["EventPattern"]

    assert pattern["resources"] == [{"Ref": target_id}]
    assert pattern["detail-type"] == ["Security Hub Findings - Custom Action"]


def test_bridge_asset_carries_the_generated_configuration(standalone):
    template, outdir = standalone
    asset = _bridge_function(template)["Metadata"]["aws:asset:path"]

    shipped = json.loads((outdir / asset / "prowler_bridge" / "bridge_config.json").read_text())
    assert shipped == json.loads(json.dumps(CONFIG))


def test_bridge_asset_carries_the_registry_identity_part_and_imports_from_itself_alone(standalone):
    import subprocess
    import sys

    import resource_types

    template, outdir = standalone
    asset = outdir / _bridge_function(template)["Metadata"]["aws:asset:path"]
    for kind in resource_types.all_types():
        assert (asset / kind.package.replace(".", "/") / "__init__.py").is_file(), kind.config_type
    assert not list(asset.rglob("simulation.py")), "the simulation modules stay out of the bridge's asset"
    # -I: neither the checkout nor PYTHONPATH on sys.path; only the asset folder and the interpreter's packages.
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import prowler_bridge.handler, prowler_bridge.retry, resource_types; "
        "print([t.config_type for t in resource_types.all_types()]); "
        "ours = ('prowler_bridge', 'resource_types', 'catalogue', 'infra', 'simulation', 'tests'); "
        "print(sorted({m.split('.')[0] for m, mod in sys.modules.items() if m.split('.')[0] in ours "
        "and not (getattr(mod, '__file__', None) or '').startswith(sys.argv[1])}))"
    )
    run = subprocess.run([sys.executable, "-I", "-c", probe, str(asset)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    registered, outside = run.stdout.splitlines()
    assert registered == str([t.config_type for t in resource_types.all_types()])
    assert outside == "[]"


def test_bridge_role_has_no_action_wildcards_and_passes_only_runbook_roles(standalone):
    template = standalone[0]
    role_ref = _bridge_function(template)["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [
        s
        for p in of_type(template, "AWS::IAM::Policy").values()
        if {"Ref": role_ref} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}

    assert not [a for a in actions if "*" in a]
    # Exactly what the bridge declares it calls; GetCallerIdentity needs no grant, AssumeRole only with
    # other accounts in scope.
    declared = set(_declared_bridge_actions()) - {"sts:GetCallerIdentity", "sts:AssumeRole"}
    assert actions - {"logs:CreateLogStream", "logs:PutLogEvents", "kms:GenerateDataKey", "kms:Decrypt"} == declared
    (pass_role,) = [s for s in statements if s["Action"] == "iam:PassRole"]
    # One ARN pattern, the runbook roles' IAM path, only towards SSM; every runbook role and no other is on it.
    assert json.dumps(pass_role["Resource"]).endswith(':role/remedy/runbooks/*"]]}')
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}
    on_path = {
        r["Properties"]["RoleName"]["Fn::Join"][1][0]
        for r in of_type(template, "AWS::IAM::Role").values()
        if r["Properties"].get("Path") == "/remedy/runbooks/"
    }
    assert len(on_path) == len(CATALOGUE.runbooks)
    assert all(r["Properties"].get("Path") != "/remedy/runbooks/" for r in (_bridge_role(template, role_ref),))


def _bridge_role(template, role_id):
    return template["Resources"][role_id]


def _queues(template):
    """(failure queue, parked queue): the failure queue is the one with a redrive policy."""
    queues = of_type(template, "AWS::SQS::Queue")
    (failure_id,) = [k for k, q in queues.items() if "RedrivePolicy" in q["Properties"]]
    (parked_id,) = [k for k in queues if k != failure_id]
    return (failure_id, queues[failure_id]["Properties"]), (parked_id, queues[parked_id]["Properties"])


def _retry_function(template):
    (function_id,) = [
        k
        for k, f in of_type(template, "AWS::Lambda::Function").items()
        if f["Properties"]["Handler"] == "prowler_bridge.retry.lambda_handler"
    ]
    return function_id, of_type(template, "AWS::Lambda::Function")[function_id]


def _role_statements(template, role_id):
    return [
        s
        for p in of_type(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statements):
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def test_failure_topic_and_queues_are_encrypted_and_prowler_import_is_enabled(standalone):
    template = standalone[0]

    (topic,) = of_type(template, "AWS::SNS::Topic").values()
    (key_id,) = [k for k in of_type(template, "AWS::KMS::Key") if "FailureKey" in k]
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    (_, failure), (_, parked) = _queues(template)
    for queue in (failure, parked):
        assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    (subscription,) = of_type(template, "AWS::SecurityHub::ProductSubscription").values()
    assert subscription["Properties"]["ProductArn"]["Fn::Join"][1][-1] == "::product/prowler/prowler"


def test_failure_queue_redrives_to_the_parked_queue_after_the_consumers_last_receive(standalone):
    from prowler_bridge.retry import MAX_RECEIVE_COUNT

    template = standalone[0]
    (_, failure), (parked_id, _) = _queues(template)
    assert failure["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [parked_id, "Arn"]},
        "maxReceiveCount": MAX_RECEIVE_COUNT,
    }
    # Lambda asks for six times the consumer's timeout.
    timeout = _retry_function(template)[1]["Properties"]["Timeout"]
    assert failure["VisibilityTimeout"] >= 6 * timeout


def test_bridge_failures_of_every_kind_reach_the_failure_queue(standalone):
    template = standalone[0]
    (failure_id, _), _ = _queues(template)
    bridge_id = _bridge_function_id(template)
    (invoke_config,) = of_type(template, "AWS::Lambda::EventInvokeConfig").values()
    properties = invoke_config["Properties"]
    assert properties["FunctionName"] == {"Ref": bridge_id}
    assert properties["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [failure_id, "Arn"]}}}
    assert properties["MaximumRetryAttempts"] == 2
    rules = [
        r["Properties"]
        for r in of_type(template, "AWS::Events::Rule").values()
        if "Remedy bridge" in r["Properties"]["Description"]
        or "Remedy runbook executions ending" in r["Properties"]["Description"]
    ]
    assert len(rules) == 5
    for rule in rules:
        (target,) = rule["Targets"]
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [failure_id, "Arn"]}}


def test_key_policy_admits_eventbridge_for_our_rules_and_cloudwatch_alarms_only(standalone):
    template = standalone[0]
    (key,) = [v for k, v in of_type(template, "AWS::KMS::Key").items() if "FailureKey" in k]
    statements = {s.get("Sid"): s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    events = statements["EventBridgeDeadLetters"]
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    assert sorted(events["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    sources = [json.dumps(arn) for arn in events["Condition"]["ArnEquals"]["aws:SourceArn"]]
    names = sorted(
        r["Properties"]["Name"] for r in of_type(template, "AWS::Events::Rule").values() if "Name" in r["Properties"]
    )
    assert sorted(s.rsplit(":rule/", 1)[1].rstrip('"]}') for s in sources) == names
    assert len(names) == 5 and all(n.startswith("remedy-bridge-") for n in names)
    cloudwatch = statements["CloudWatchAlarms"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    services = {s["Principal"].get("Service") for s in statements.values() if "Service" in s["Principal"]}
    assert services == {"events.amazonaws.com", "cloudwatch.amazonaws.com"}
    # The topic admits only this account's bridge alarms.
    (topic_policy,) = of_type(template, "AWS::SNS::TopicPolicy").values()
    (alarms,) = [
        s for s in topic_policy["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid") == "CloudWatchAlarms"
    ]
    assert json.dumps(alarms["Condition"]["ArnLike"]["aws:SourceArn"]).endswith(':alarm:remedy-bridge-*"]]}')
    assert alarms["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_retry_consumer_is_fed_by_the_failure_queue_with_partial_batch_failures(standalone):
    template = standalone[0]
    (failure_id, _), (parked_id, _) = _queues(template)
    function_id, function = _retry_function(template)
    (mapping,) = of_type(template, "AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [failure_id, "Arn"]}
    assert mapping["Properties"]["FunctionName"] == {"Ref": function_id}
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    environment = function["Properties"]["Environment"]["Variables"]
    assert environment["PARKED_QUEUE_URL"] == {"Ref": parked_id}
    assert environment["FAILURE_QUEUE_URL"] == {"Ref": failure_id}
    # Its role: the bridge's actions plus the queue's consumption and the parked queue, no action wildcard; on
    # the bridge's path under a name member roles trust (<prefix>-bridge-*).
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    actions = _actions(_role_statements(template, role_id))
    assert not [a for a in actions if "*" in a]
    from prowler_bridge import retry

    declared = set(retry.IAM_ACTIONS) - {"sts:GetCallerIdentity", "sts:AssumeRole"} - _lookup_actions_not_needed()
    extra = {"logs:CreateLogStream", "logs:PutLogEvents", "kms:GenerateDataKey", "kms:Decrypt", "sqs:GetQueueUrl"}
    assert actions - extra == declared
    role = template["Resources"][role_id]["Properties"]
    assert role["Path"] == "/remedy/"
    assert role["RoleName"]["Fn::Join"][1][0] == "remedy-bridge-retry-"


def test_alarms_on_parked_messages_and_consumer_errors_notify_the_failure_topic(standalone):
    template = standalone[0]
    (topic_id,) = of_type(template, "AWS::SNS::Topic")
    _, (parked_id, _) = _queues(template)
    function_id, _ = _retry_function(template)
    alarms = [
        a["Properties"]
        for a in of_type(template, "AWS::CloudWatch::Alarm").values()
        if "remedy-bridge-" in json.dumps(a["Properties"].get("AlarmName", ""))
    ]
    (parked,) = [a for a in alarms if a["MetricName"] == "ApproximateNumberOfMessagesVisible"]
    assert parked["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [parked_id, "QueueName"]}}]
    consumer = [{"Name": "FunctionName", "Value": {"Ref": function_id}}]
    (errors,) = [a for a in alarms if a["MetricName"] == "Errors" and a["Dimensions"] == consumer]
    for alarm in (parked, errors):
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]


def test_no_subscription_by_default(standalone):
    assert not of_type(standalone[0], "AWS::SNS::Subscription")


def test_subscriptions_from_context(tmp_path_factory):
    from tests.infra.conftest import synth

    template, _ = synth(
        tmp_path_factory,
        **{
            "remedy:notifyEmails": "secops@example.com, cloud@example.com",
            "remedy:notifyHttpsEndpoints": "https://hooks.example.com/remedy",
        },
    )
    found = sorted(
        (s["Properties"]["Protocol"], s["Properties"]["Endpoint"])
        for s in of_type(template, "AWS::SNS::Subscription").values()
    )
    assert found == [
        ("email", "cloud@example.com"),
        ("email", "secops@example.com"),
        ("https", "https://hooks.example.com/remedy"),
    ]


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("remedy:notifyHttpsEndpoints", "http://hooks.example.com/remedy"),
        ("remedy:notifyHttpsEndpoints", "https://ok.example.com,ftp://x.example.com"),
        ("remedy:notifyHttpsEndpoints", "hooks.example.com"),
        ("remedy:notifyEmails", "not-an-address"),
    ],
)
def test_a_bad_notification_endpoint_stops_synth_naming_the_setting(setting, value):
    from infra.bridge_resources import notify_emails, notify_https_endpoints

    check = notify_emails if setting == "remedy:notifyEmails" else notify_https_endpoints
    with pytest.raises(ValueError, match=setting):
        check(value)


def test_member_account_role_grants_what_the_bridge_needs_there(tmp_path_factory):
    from tests.infra.conftest import synth

    template, _ = synth(tmp_path_factory, **{"remedy:bridgeAdministratorAccount": "111122223333"})

    (member_id,) = [
        k
        for k, r in of_type(template, "AWS::IAM::Role").items()
        if json.dumps(r["Properties"].get("RoleName")).startswith('{"Fn::Join": ["", ["remedy-bridge-member-"')
    ]
    trust = of_type(template, "AWS::IAM::Role")[member_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert "111122223333" in json.dumps(trust["Principal"])
    # The member role and the bridge role it trusts are both on the deployment's path (default /<prefix>/).
    assert of_type(template, "AWS::IAM::Role")[member_id]["Properties"]["Path"] == "/remedy/"
    assert json.dumps(trust["Condition"]["ArnLike"]["aws:PrincipalArn"]).endswith(
        ':iam::111122223333:role/remedy/remedy-bridge-*"]]}'
    )
    granted = {
        a
        for p in of_type(template, "AWS::IAM::Policy").values()
        if {"Ref": member_id} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert granted == set(handler.MEMBER_IAM_ACTIONS) - _lookup_actions_not_needed()
    # The member's runbook status events go to the bridge account's default bus, through a role EventBridge uses.
    (forward,) = [
        r["Properties"]
        for r in of_type(template, "AWS::Events::Rule").values()
        if "bridge account" in r["Properties"].get("Description", "")
    ]
    (target,) = forward["Targets"]
    assert json.dumps(target["Arn"]).endswith(':111122223333:event-bus/default"]]}')
    assert "RoleArn" in target
    assert forward["EventPattern"]["detail-type"] == ["EC2 Automation Execution Status-change Notification"]


def test_organization_scope_grants_assume_role_by_organization_not_by_account(tmp_path_factory):
    from infra import limits
    from tests.infra.conftest import synth

    template, outdir = synth(tmp_path_factory, **{"remedy:organizationId": "o-a1b2c3d4e5"})

    function = _bridge_function(template)
    environment = function["Properties"]["Environment"]["Variables"]
    assert environment["ORGANIZATION_ID"] == "o-a1b2c3d4e5"
    assert environment["ALLOWED_ACCOUNTS"] == ""
    assert (environment["MEMBER_ROLE_NAME"], environment["MEMBER_ROLE_PATH"]) == (
        "remedy-bridge-member-{region}",
        "/remedy/",
    )
    role_ref = function["Properties"]["Role"]["Fn::GetAtt"][0]
    assert template["Resources"][role_ref]["Properties"]["Path"] == "/remedy/"
    (assume,) = [
        s
        for p in of_type(template, "AWS::IAM::Policy").values()
        if {"Ref": role_ref} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "sts:AssumeRole"
    ]
    assert json.dumps(assume["Resource"]).endswith(':iam::*:role/remedy/remedy-bridge-member-*"]]}')
    assert assume["Condition"] == {"StringEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}}
    (bus_policy,) = of_type(template, "AWS::Events::EventBusPolicy").values()
    statement = bus_policy["Properties"]["Statement"]
    assert statement["Action"] == "events:PutEvents"
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    assert not limits.check([outdir]).failures


def test_listing_1000_accounts_instead_of_the_organization_fails_the_limits_gate(tmp_path_factory):
    from infra import limits
    from tests.infra.conftest import synth

    accounts = ",".join(f"{100000000000 + i:012d}" for i in range(1000))
    _, outdir = synth(tmp_path_factory, **{"remedy:bridgeAccounts": accounts})

    failures = "\n".join(limits.check([outdir]).failures)
    assert "Lambda environment" in failures
    assert "IAM managed policy" in failures  # CDK moves what overflows the role into a managed policy


def test_action_target_id_carries_the_deployment_prefix_within_security_hubs_20_characters(standalone):
    from infra.bridge_resources import action_target_id

    (target,) = of_type(standalone[0], "AWS::SecurityHub::ActionTarget").values()
    assert target["Properties"]["Id"] == "RemedyRemediate"
    assert action_target_id("remedy") != action_target_id("remedy-b")
    assert action_target_id("remedy-b").isalnum()
    with pytest.raises(ValueError, match="longer than 20"):
        action_target_id("averyverylongprefix")


def test_security_hub_and_its_standards_by_context_and_the_prowler_import_optional(tmp_path_factory):
    from tests.infra.conftest import synth

    template, _ = synth(tmp_path_factory, **{"remedy:enableSecurityHub": "true", "remedy:subscribeProwler": "false"})

    (hub,) = of_type(template, "AWS::SecurityHub::Hub").values()
    assert hub["Properties"]["EnableDefaultStandards"] is False
    standards = [
        json.dumps(s["Properties"]["StandardsArn"]) for s in of_type(template, "AWS::SecurityHub::Standard").values()
    ]
    assert sorted(s.rsplit("::", 1)[-1] for s in standards) == [
        'standards/aws-foundational-security-best-practices/v/1.0.0"]]}',
        'standards/cis-aws-foundations-benchmark/v/3.0.0"]]}',
    ]
    assert not of_type(template, "AWS::SecurityHub::ProductSubscription")


def test_an_http_endpoint_stops_synth(tmp_path_factory):
    from tests.infra.conftest import synth

    with pytest.raises(Exception, match="remedy:notifyHttpsEndpoints must be a comma list of https:// URLs"):
        synth(tmp_path_factory, **{"remedy:notifyHttpsEndpoints": "http://hooks.example.com/remedy"})
