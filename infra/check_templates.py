"""Gate on what `cdk synth` wrote: cfn-lint every template, schema-check every Automation document, and
hold every artifact within AWS's limits (infra/limits.py: the usage table is printed).

Usage: python -m infra.check_templates cdk.out [more folders...]
Exit status 1 with the findings listed if anything fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from infra import limits
from infra.runbooks import RunbookError, validate_document

# cfn-lint rules ignored, each with its reason.
CFN_LINT_IGNORED = {
    # CDK adds DependsOn entries that are also implied by Ref/GetAtt; redundant, harmless.
    "W3005": "CDK's redundant DependsOn",
}


def templates(folders: list[Path]) -> list[Path]:
    """Every CloudFormation template synth produced, including the standalone conformance pack."""
    found: list[Path] = []
    for folder in folders:
        found += sorted(folder.rglob("*.template.json"))
        found += sorted(folder.rglob("*-conformance-pack-*.yaml"))
    return found


# Pseudo parameters CloudFormation resolves inside a document's content at deployment (the approvers' role ARN
# names the account it deploys to): stand-ins of the same shape for the schema check.
PSEUDO_PARAMETER_STAND_INS = {"AWS::Partition": "aws", "AWS::AccountId": "123456789012", "AWS::Region": "us-east-1"}


def as_deployed(value: object) -> object:
    """`value` with Fn::Join over pseudo parameters resolved as CloudFormation would; other intrinsics stay."""
    if isinstance(value, list):
        return [as_deployed(item) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and value["Ref"] in PSEUDO_PARAMETER_STAND_INS:
        return PSEUDO_PARAMETER_STAND_INS[value["Ref"]]
    if set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        parts = [as_deployed(part) for part in parts]
        if all(isinstance(part, str) for part in parts):
            return separator.join(parts)
    return {key: as_deployed(item) for key, item in value.items()}


def documents_in(template: Path) -> list[tuple[str, dict]]:
    """(logical id, content) of every SSM Automation document in a synthesized template."""
    if template.suffix != ".json":
        return []
    resources = json.loads(template.read_text()).get("Resources", {})
    return [
        (logical_id, as_deployed(resource["Properties"]["Content"]))
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::SSM::Document"
        and resource.get("Properties", {}).get("DocumentType") == "Automation"
    ]


def cfn_lint(found: list[Path]) -> tuple[bool, str]:
    """cfn-lint over the templates, in one process per CPU (each takes every n-th template): (clean, findings)."""
    count = max(1, min(os.cpu_count() or 1, len(found)))
    command = [str(Path(sys.executable).with_name("cfn-lint")), "--ignore-checks", *CFN_LINT_IGNORED, "--"]
    runs = [
        subprocess.Popen(  # noqa: S603 - fixed argv, our own files
            [*command, *map(str, found[start::count])], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for start in range(count)
    ]
    outputs = [run.communicate()[0] for run in runs]
    return all(run.returncode == 0 for run in runs), "".join(outputs)


def main(argv: list[str]) -> int:
    folders = [Path(arg) for arg in argv] or [Path("cdk.out")]
    found = templates(folders)
    if not found:
        print(f"no templates under {', '.join(map(str, folders))}: run cdk synth first", file=sys.stderr)
        return 1
    failures = 0
    lint_clean, lint_output = cfn_lint(found)
    if not lint_clean:
        failures += 1
        print(lint_output, file=sys.stderr)
    document_count = 0
    for template in found:
        for logical_id, content in documents_in(template):
            document_count += 1
            try:
                validate_document(content, logical_id)
            except RunbookError as problem:
                failures += 1
                print(f"{template}: {problem}", file=sys.stderr)
    print(
        f"cfn-lint: {len(found)} template(s) {'clean' if lint_clean else 'FAILED'}; "
        f"Automation schema: {document_count} document(s) checked"
    )
    report = limits.check(folders)
    print(
        f"limits: {len(report.measurements)} measurement(s), {len(report.failures)} over the limit\n{report.table(10)}"
    )
    for failure in report.failures:
        failures += 1
        print(f"limits: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
