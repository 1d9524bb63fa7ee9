"""Read the synthesized cloud assembly (cdk.out): the wiring the simulation runs is the wiring that deploys.

Gives the Config rules (standalone or inside the conformance pack), remediation configurations,
Automation documents, Lambda functions (asset folder, handler, environment) and EventBridge rules,
with Ref / Fn::GetAtt / Fn::Join / Fn::Sub resolved against the emulated account's physical ids.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

STACK_NAME = "RemedyControls"


class AssemblyError(ValueError):
    """The cloud assembly is missing or does not hold what the simulation needs."""


@dataclass
class LambdaFunction:
    logical_id: str
    handler: str
    asset_dir: Path
    layer_dirs: list[Path]
    environment: dict[str, str]


@dataclass
class ConfigRule:
    name: str
    function_id: str
    message_types: list[str]
    resource_types: list[str]
    input_parameters: dict[str, str]
    frequency: str | None


@dataclass
class RemediationConfiguration:
    rule_name: str
    document: str
    resource_type: str
    parameters: dict[str, dict]
    automatic: bool
    maximum_attempts: int
    retry_seconds: int


@dataclass
class EventRule:
    logical_id: str
    pattern: dict
    target_function_ids: list[str]
    dead_letter_queue_ids: list[str] = field(default_factory=list)
    target_bus_arns: list[str] = field(default_factory=list)  # event buses (of this or another account)


def condition_holds(template: dict, name: str, region: str) -> bool:
    """Evaluate a template condition as CloudFormation does, for the conditions CDK and the app write: Fn::Equals
    of the region and a literal (infra/stack.py's IsHomeRegion), Fn::Or of those (CDK's CDKMetadataAvailable).
    Anything else is refused, not guessed."""
    expression = template.get("Conditions", {}).get(name)
    return _holds(expression, region, name)


def _holds(expression: object, region: str, name: str) -> bool:
    if isinstance(expression, dict) and set(expression) == {"Fn::Or"}:
        return any(_holds(operand, region, name) for operand in expression["Fn::Or"])
    if isinstance(expression, dict) and set(expression) == {"Fn::Equals"}:
        left, right = expression["Fn::Equals"]
        values = [region if value == {"Ref": "AWS::Region"} else value for value in (left, right)]
        if all(isinstance(v, str) for v in values):
            return values[0] == values[1]
    raise AssemblyError(f"condition {name} ({expression!r}) is not one the simulation can evaluate")


def _definition(resource: dict) -> dict:
    """A resource without its construct path (the CLI's metadata, different in every nested stack)."""
    metadata = {k: v for k, v in resource.get("Metadata", {}).items() if k != "aws:cdk:path"}
    return {**resource, "Metadata": metadata}


def stack_resources(outdir: Path, stack_name: str = STACK_NAME, region: str | None = None) -> dict[str, dict]:
    """Every resource of a synthesized stack and of its nested stacks, by logical id.

    Nested templates are the files the parent's AWS::CloudFormation::Stack resources point to (asset metadata).
    With `region`, a nested stack whose Condition is false there is left out, as CloudFormation leaves it out.
    CDK makes logical ids unique within a template; a shared construct repeated in several nested stacks (a
    layer) has the same id and the same definition there, and one copy stands for all.
    """
    template_path = outdir / f"{stack_name}.template.json"
    if not template_path.is_file():
        raise AssemblyError(f"{template_path} not found: run `make synth` first")
    resources: dict[str, dict] = {}
    pending = [template_path]
    while pending:
        path = pending.pop(0)
        template = json.loads(path.read_text())
        for logical_id, resource in template.get("Resources", {}).items():
            if resource["Type"] == "AWS::CDK::Metadata":
                continue  # the CLI's per-template version reporting: nothing to run
            if region and "Condition" in resource and not condition_holds(template, resource["Condition"], region):
                continue
            if logical_id in resources and _definition(resources[logical_id]) != _definition(resource):
                raise AssemblyError(f"{path.name}: logical id {logical_id} also names a different resource")
            resources[logical_id] = resource
            nested = resource.get("Metadata", {}).get("aws:asset:path")
            if resource["Type"] == "AWS::CloudFormation::Stack" and nested:
                pending.append(outdir / nested)
    return resources


class CloudAssembly:
    """One synthesized stack, its nested stacks and their assets."""

    def __init__(self, outdir: Path | str, stack_name: str = STACK_NAME, region: str = "us-east-1") -> None:
        self.outdir, self.stack_name = Path(outdir), stack_name
        self.resources: dict[str, dict] = stack_resources(self.outdir, stack_name, region)
        self.physical: dict[str, str] = {}  # logical id -> physical id (name, ARN or URL), set when provisioned
        self.account, self.region, self.partition = "123456789012", region, "aws"

    def of_type(self, resource_type: str) -> dict[str, dict]:
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}

    # Intrinsic functions -------------------------------------------------------------------------
    def resolve(self, value: object, parameters: dict[str, object] | None = None) -> object:
        """Resolve the intrinsic functions CDK emits, with `parameters` for a conformance pack body."""
        parameters = parameters or {}
        if isinstance(value, list):
            return [self.resolve(v, parameters) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg, parameters)
            if key == "Fn::GetAtt":
                return self._get_att(arg[0], arg[1])
            if key == "Fn::Join":
                return arg[0].join(str(self.resolve(part, parameters)) for part in arg[1])
            if key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                return re.sub(r"\$\{([\w:.]+)\}", lambda m: str(self._ref(m.group(1), parameters)), text)
        return {k: self.resolve(v, parameters) for k, v in value.items()}

    def _ref(self, name: str, parameters: dict[str, object]) -> object:
        pseudo = {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
        }
        if name in pseudo:
            return pseudo[name]
        if name in parameters:
            return parameters[name]
        if name in self.physical:
            return self.physical[name]
        return f"<unprovisioned:{name}>"

    def _get_att(self, logical_id: str, attribute: str) -> str:
        physical = self.physical.get(f"{logical_id}.{attribute}") or self.physical.get(logical_id)
        if physical:
            return physical
        resource_type = self.resources.get(logical_id, {}).get("Type", "")
        if resource_type == "AWS::Lambda::Function":
            return f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{logical_id}"
        return f"<unprovisioned:{logical_id}.{attribute}>"

    # What the services need ----------------------------------------------------------------------
    def functions(self) -> dict[str, LambdaFunction]:
        functions = {}
        for logical_id, resource in self.of_type("AWS::Lambda::Function").items():
            asset = resource.get("Metadata", {}).get("aws:asset:path")
            if not asset:
                raise AssemblyError(f"{logical_id} has no aws:asset:path metadata: synthesize with the CDK CLI")
            properties = resource["Properties"]
            layers = []
            for layer in properties.get("Layers", []):
                layer_asset = self.resources[layer["Ref"]].get("Metadata", {}).get("aws:asset:path")
                if layer_asset:
                    layers.append(self.outdir / layer_asset / "python")
            variables = properties.get("Environment", {}).get("Variables", {})
            functions[logical_id] = LambdaFunction(
                logical_id=logical_id,
                handler=properties["Handler"],
                asset_dir=self.outdir / asset,
                layer_dirs=layers,
                environment={k: str(self.resolve(v)) for k, v in variables.items()},
            )
        return functions

    def documents(self) -> dict[str, dict]:
        """Automation document name -> content, exactly as deployed."""
        return {
            r["Properties"]["Name"]: self.resolve(r["Properties"]["Content"])
            for r in self.of_type("AWS::SSM::Document").values()
            if r["Properties"].get("DocumentType") == "Automation"
        }

    def _config_resources(self) -> list[tuple[dict, dict]]:
        """(resource, parameters) of every Config rule / remediation, standalone or inside a conformance pack."""
        found = [(r, {}) for r in self.resources.values()]
        for pack in self.of_type("AWS::Config::ConformancePack").values():
            properties = pack["Properties"]
            body = json.loads(self._pack_body(properties))
            parameters = {
                p["ParameterName"]: self.resolve(p["ParameterValue"])
                for p in properties.get("ConformancePackInputParameters", [])
            }
            found += [(r, parameters) for r in body["Resources"].values()]
        return found

    def _pack_body(self, properties: dict) -> str:
        """The pack's TemplateBody, or the asset file its TemplateS3Uri (s3://<bucket>/<hash>.<ext>) names."""
        if "TemplateBody" in properties:
            return properties["TemplateBody"]
        key = str(self.resolve(properties["TemplateS3Uri"])).rsplit("/", 1)[-1]
        path = self.outdir / f"asset.{key}"
        if not path.is_file():
            raise AssemblyError(f"conformance pack template {path} not found in the cloud assembly")
        return path.read_text()

    def config_rules(self) -> dict[str, ConfigRule]:
        rules = {}
        for resource, parameters in self._config_resources():
            if resource["Type"] != "AWS::Config::ConfigRule":
                continue
            properties = resource["Properties"]
            source = properties["Source"]
            function_arn = str(self.resolve(source["SourceIdentifier"], parameters))
            details = source.get("SourceDetails", [])
            rules[properties["ConfigRuleName"]] = ConfigRule(
                name=properties["ConfigRuleName"],
                function_id=function_arn.rsplit(":", 1)[-1],
                message_types=[d["MessageType"] for d in details],
                resource_types=properties.get("Scope", {}).get("ComplianceResourceTypes", []),
                input_parameters=properties.get("InputParameters", {}),
                frequency=next(
                    (d.get("MaximumExecutionFrequency") for d in details if "MaximumExecutionFrequency" in d), None
                ),
            )
        return rules

    def remediation_configurations(self) -> dict[str, RemediationConfiguration]:
        configurations = {}
        for resource, parameters in self._config_resources():
            if resource["Type"] != "AWS::Config::RemediationConfiguration":
                continue
            properties = self.resolve(resource["Properties"], parameters)
            configurations[properties["ConfigRuleName"]] = RemediationConfiguration(
                rule_name=properties["ConfigRuleName"],
                document=properties["TargetId"],
                resource_type=properties.get("ResourceType", ""),
                parameters=properties.get("Parameters", {}),
                automatic=bool(properties.get("Automatic", False)),
                maximum_attempts=int(properties.get("MaximumAutomaticAttempts", 5)),
                retry_seconds=int(properties.get("RetryAttemptSeconds", 60)),
            )
        return configurations

    def event_rules(self) -> list[EventRule]:
        rules = []
        for logical_id, resource in self.of_type("AWS::Events::Rule").items():
            properties = resource["Properties"]
            if properties.get("State", "ENABLED") != "ENABLED" or "EventPattern" not in properties:
                continue
            targets = properties.get("Targets", [])
            rules.append(
                EventRule(
                    logical_id=logical_id,
                    pattern=self.resolve(properties["EventPattern"]),
                    target_function_ids=[t["Arn"]["Fn::GetAtt"][0] for t in targets if "Fn::GetAtt" in t["Arn"]],
                    dead_letter_queue_ids=[
                        t["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] for t in targets if "DeadLetterConfig" in t
                    ],
                    target_bus_arns=[
                        arn for arn in (str(self.resolve(t["Arn"])) for t in targets) if ":event-bus/" in arn
                    ],
                )
            )
        return rules
