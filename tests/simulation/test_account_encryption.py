"""The emulated account encrypts the stack's own topics and queues as the synthesized template does."""

from __future__ import annotations

import boto3

from simulation.account import EmulatedAccount


def _encrypted_in_template(template: dict, kind: str) -> set[str]:
    return {
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == kind and "KmsMasterKeyId" in resource.get("Properties", {})
    }


def test_topics_and_queues_the_template_encrypts_have_a_kms_key(aws, standalone):
    template = standalone[0]
    topics, queues = (
        _encrypted_in_template(template, "AWS::SNS::Topic"),
        _encrypted_in_template(template, "AWS::SQS::Queue"),
    )
    with EmulatedAccount(standalone[1]).provision() as account:
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        for logical_id in topics:
            arn = account.assembly.physical[logical_id]
            assert sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("KmsMasterKeyId"), logical_id
        for logical_id in queues:
            url = account.assembly.physical[logical_id]
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])["Attributes"]
            assert attributes.get("KmsMasterKeyId"), logical_id
    assert topics or queues, "the standalone stack encrypts its failure topic and queues"
