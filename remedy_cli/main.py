"""The `remedy` command: argument parsing and the subcommands."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import boto3
import botocore.exceptions

from catalogue import FRAMEWORKS, Catalogue, CatalogueError, Control, Runbook, load_catalogue
from remedy_cli import asff, history, output, remediate, report, report_html
from remedy_cli import controls as controls_view
from remedy_cli.aws import ReadOnlyGuard, open_session
from remedy_cli.deployment import DEFAULT_PREFIX, document_name
from remedy_cli.plan import SUCCESS, Plan, Planner, plan_text
from remedy_cli.scan import ERROR, Result, Scanner


class UsageError(Exception):
    """The command line asks for something that does not exist (exit status 2)."""


SCAN_COLUMNS = ["CONTROL", "ACCOUNT", "REGION", "RESOURCE TYPE", "RESOURCE ID", "COMPLIANCE", "ANNOTATION"]


def _names(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated option values, flattened."""
    return [name.strip() for value in values or [] for name in value.split(",") if name.strip()]


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="remedy",
        description="Remedy's operator command line: list the control catalogue and its framework coverage, "
        "scan an AWS account with the catalogue's rules (read-only), plan the fixes (the runbooks' dry runs, "
        "read-only), start a deployed runbook on one resource, and write a compliance report (HTML and JSON).",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser(
        "controls",
        help="list the catalogue's controls or their framework coverage",
        description="List the control catalogue: id, title, severity, resource type, automatic or manual "
        "remediation, frameworks. With --coverage: per framework, how many of its requirements the controls cover "
        "out of how many it has, then each requirement id covered and the controls covering it.",
    )
    listing.add_argument(
        "--coverage", action="store_true", help="per framework, the requirements covered (of how many) and by what"
    )
    _format_options(listing)
    listing.set_defaults(run=run_controls)

    scan = commands.add_parser(
        "scan",
        help="evaluate the catalogue's rules against an AWS account, read-only",
        description="Run the catalogue's AWS Config rule code, unmodified, against an account: resources from AWS "
        "Config where a recorder records their type, else from the services' read APIs. Only reads: the rules' "
        "PutEvaluations calls are answered locally and any other call that is not a read is refused before it is "
        "sent. Exit status 1 if a rule could not evaluate something (compliance ERROR). --format asff writes "
        "AWS Security Finding Format findings for Security Hub's BatchImportFindings.",
    )
    _account_options(scan)
    _selection_options(scan)
    _format_options(scan, ("table", "json", "asff"))
    scan.set_defaults(run=run_scan)

    planning = commands.add_parser(
        "plan",
        help="what the runbooks would change on each non-compliant resource (their dry runs, read-only)",
        description="Scan as `remedy scan` does, then run each non-compliant resource's runbook in this process "
        "with DryRun=true and its parameters filled as the remediation configuration fills them, and print what "
        "it would change (PlannedState, Message). Read-only like the scan: a call that is not a read is refused "
        "before it is sent. Approval steps and the change itself are not run. Exit status 1 if a dry run failed.",
    )
    _account_options(planning)
    _selection_options(planning)
    _prefix_option(planning)
    _format_options(planning)
    planning.set_defaults(run=run_plan)

    fix = commands.add_parser(
        "remediate",
        help="start the deployed runbook of a control on one resource, after its plan and a confirmation",
        description="Show the plan for one resource, ask for confirmation (on a terminal; --yes skips it; without "
        "a terminal and --yes nothing starts, exit status 2), start the deployed runbook with SSM "
        "StartAutomationExecution, parameters filled as the control's remediation configuration fills them "
        "(Trigger manual), and follow it until it ends. Exit status 0 when it succeeded, 1 otherwise.",
    )
    fix.add_argument("--control", required=True, help="the control id (remedy controls lists them)")
    fix.add_argument("--resource", required=True, help="the resource's AWS Config resource id (as remedy scan shows)")
    fix.add_argument("--yes", action="store_true", help="start without asking")
    fix.add_argument("--poll-seconds", type=float, default=5.0, help="seconds between status reads (default 5)")
    _account_options(fix, several_regions=False)
    _prefix_option(fix)
    fix.set_defaults(run=run_remediate)

    reporting = commands.add_parser(
        "report",
        help="write a compliance report for auditors: report.html and report.json",
        description="Scan as `remedy scan` does (or read its --format json output with --from-scan) and write "
        "report.html (self contained: inline CSS and SVG charts, nothing loaded from the network) and report.json "
        "to --output: per framework the requirements the catalogue covers and the status of each (compliant, "
        "not compliant, not evaluated); per control, account and region the resources found compliant and those "
        "found not compliant, by id; the remediation history (previous and current state of each runbook "
        "execution that ended) from the bridge's audit bucket, only reading, or a note saying why it was not read. "
        "Exit status 1 if a rule could not evaluate something (compliance ERROR).",
    )
    reporting.add_argument(
        "--from-scan", metavar="FILE", help="read this `remedy scan --format json` output instead of scanning"
    )
    reporting.add_argument(
        "-o", "--output", metavar="DIR", required=True, help="write report.html and report.json here"
    )
    reporting.add_argument(
        "--audit-bucket", help="the bridge's audit bucket (default: found from the bridge function of --prefix)"
    )
    reporting.add_argument(
        "--history-days", type=int, default=90, help="remediation history of this many days (default 90)"
    )
    reporting.add_argument("--no-history", action="store_true", help="do not read the remediation history")
    _account_options(reporting)
    _selection_options(reporting)
    _prefix_option(reporting)
    reporting.set_defaults(run=run_report)
    return top


def _account_options(command: argparse.ArgumentParser, several_regions: bool = True) -> None:
    command.add_argument("--profile", help="AWS named profile (default: the environment's credentials)")
    command.add_argument("--role-arn", help="assume this role (sts:AssumeRole) and work with its credentials")
    if several_regions:
        command.add_argument(
            "--region",
            action="append",
            help="region to scan; repeat for several (default: AWS_REGION, else the profile's region). "
            "Controls of account-global resources run in the first region only",
        )
    else:
        command.add_argument("--region", help="the resource's region (default: AWS_REGION, else the profile's)")
    command.add_argument("--endpoint-url", help="send every call to this endpoint (an emulator such as a moto server)")


def _selection_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--controls", action="append", help="control ids to run (comma-separated or repeated)")
    command.add_argument(
        "--frameworks",
        action="append",
        help=f"run the controls mapped to these frameworks ({', '.join(FRAMEWORKS)}; comma-separated or repeated)",
    )
    command.add_argument("--workers", type=int, default=8, help="threads reading and evaluating at once (default 8)")


def _prefix_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--prefix",
        default=DEFAULT_PREFIX,
        help=f"the deployment's resource prefix, CDK context remedy:resourcePrefix (default {DEFAULT_PREFIX})",
    )


def _format_options(command: argparse.ArgumentParser, formats: tuple[str, ...] = ("table", "json")) -> None:
    command.add_argument("--format", choices=formats, default="table", help="output format (default table)")
    command.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")


def run_controls(args: argparse.Namespace, catalogue: Catalogue) -> int:
    if args.coverage:
        if args.format == "json":
            text = output.as_json(controls_view.coverage_json(catalogue))
        else:
            rows = controls_view.coverage_table_rows(catalogue)
            text = controls_view.coverage_summary(catalogue) + "\n"
            text += output.table(controls_view.COVERAGE_COLUMNS, rows)
    elif args.format == "json":
        text = output.as_json(controls_view.control_rows(catalogue))
    else:
        text = output.table(controls_view.CONTROL_COLUMNS, controls_view.control_table_rows(catalogue))
    output.write(text, args.output)
    return 0


def selected(catalogue: Catalogue, control_ids: list[str], frameworks: list[str]) -> list[Control]:
    """The controls named and those mapped to a framework named (all of them if neither is given);
    UsageError naming what is unknown."""
    known = {control.id for control in catalogue.controls}
    unknown = [c for c in control_ids if c not in known] + [f for f in frameworks if f not in FRAMEWORKS]
    if unknown:
        raise UsageError(
            f"unknown control or framework: {', '.join(unknown)} "
            f"(controls: {', '.join(sorted(known))}; frameworks: {', '.join(FRAMEWORKS)})"
        )
    if not control_ids and not frameworks:
        return list(catalogue.controls)
    return [c for c in catalogue.controls if c.id in control_ids or set(c.frameworks) & set(frameworks)]


def _regions(args: argparse.Namespace) -> list[str]:
    values = args.region if isinstance(args.region, list) else [args.region] if args.region else []
    return _names(values) or [r for r in (os.environ.get("AWS_REGION"),) if r]


def _session_and_regions(args: argparse.Namespace) -> tuple[boto3.Session, list[str]]:
    """The session of --profile / --role-arn / --endpoint-url, and the regions asked for (else its region)."""
    regions = _regions(args)
    session = open_session(args.profile, args.role_arn, args.endpoint_url, regions[0] if regions else None)
    regions = regions or [r for r in (session.region_name,) if r]
    if not regions:
        raise UsageError("no region: give --region (or set AWS_REGION, or a region in the profile)")
    return session, regions


def _scan(args: argparse.Namespace, catalogue: Catalogue) -> Scanner:
    chosen = selected(catalogue, _names(args.controls), _names(args.frameworks))
    session, regions = _session_and_regions(args)
    progress = output.Progress("scan")
    scanner = Scanner(session, chosen, regions, workers=max(1, args.workers), progress=progress)
    scanner.run()
    progress.finish()
    return scanner


def _timestamp() -> str:
    """Now, as ASFF's timestamps are written (ISO 8601, UTC, milliseconds, Z)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def run_scan(args: argparse.Namespace, catalogue: Catalogue) -> int:
    scanner = _scan(args, catalogue)
    results = scanner.results
    if args.format == "asff":
        partition = asff.partition_of(scanner.caller_arn)
        text = output.as_json(asff.findings(results, catalogue, scanner.resource_name, partition, _timestamp()))
    elif args.format == "json":
        text = output.as_json([result.as_dict() for result in results])
    else:
        rows = [[str(value) for value in result.as_dict().values()] for result in results]
        text = output.table(SCAN_COLUMNS, rows)
    output.write(text, args.output)
    return 1 if any(result.compliance == ERROR for result in results) else 0


def _planner(args: argparse.Namespace, catalogue: Catalogue, account: str, caller_arn: str) -> Planner:
    """A planner whose runbook steps, in each region, use a session of their own guarded read-only."""

    @functools.cache
    def session_for(region: str) -> boto3.Session:
        session = open_session(args.profile, args.role_arn, args.endpoint_url, region)
        ReadOnlyGuard(set(), command="remedy plan").install(session)
        return session

    partition = asff.partition_of(caller_arn)
    return Planner(catalogue, session_for, prefix=args.prefix, account=account, partition=partition)


def run_plan(args: argparse.Namespace, catalogue: Catalogue) -> int:
    scanner = _scan(args, catalogue)
    planner = _planner(args, catalogue, scanner.account, scanner.caller_arn)
    plans = [
        planner.plan(catalogue.control(result.control), result.region, result.resource_id)
        for result in scanner.results
        if result.compliance == "NON_COMPLIANT"
    ]
    text = output.as_json([plan.as_dict() for plan in plans]) if args.format == "json" else plan_text(plans)
    output.write(text, args.output)
    errors = any(result.compliance == ERROR for result in scanner.results)
    return 1 if errors or any(plan.status != SUCCESS for plan in plans) else 0


def run_remediate(args: argparse.Namespace, catalogue: Catalogue) -> int:
    try:
        control = catalogue.control(args.control)
    except KeyError:
        known = ", ".join(sorted(c.id for c in catalogue.controls))
        raise UsageError(f"unknown control: {args.control} (controls: {known})") from None
    session, (region, *_) = _session_and_regions(args)
    identity = session.client("sts", region_name=region).get_caller_identity()
    plan: Plan = _planner(args, catalogue, identity["Account"], identity["Arn"]).plan(control, region, args.resource)
    sys.stdout.write(plan_text([plan]))
    if plan.status != SUCCESS:
        print("remedy remediate: the dry run did not succeed; nothing started", file=sys.stderr)
        return 1
    runbook = catalogue.runbooks[control.remediation.runbook]
    question = f"Start {document_name(args.prefix, runbook)} on {args.resource} in {identity['Account']} {region}?"
    answer = remediate.confirmed(question, args.yes)
    if answer is None:
        print("remedy remediate: not a terminal: pass --yes to start the runbook; nothing started", file=sys.stderr)
        return 2
    if not answer:
        print("Nothing started.")
        return 2
    parameters = remediate.start_parameters(
        control,
        runbook,
        prefix=args.prefix,
        partition=asff.partition_of(identity["Arn"]),
        account=identity["Account"],
        region=region,
        resource_id=args.resource,
    )
    return _start_and_follow(args, session.client("ssm", region_name=region), runbook, parameters)


def _start_and_follow(args: argparse.Namespace, ssm: object, runbook: Runbook, parameters: dict) -> int:
    """Start the deployed runbook, follow it to its end, print the outcome; 0 when it succeeded."""
    execution_id = remediate.start(ssm, runbook, parameters, args.prefix)
    remediate.report(f"Started {document_name(args.prefix, runbook)}: execution {execution_id}")
    try:
        execution = remediate.follow(ssm, execution_id, poll_seconds=args.poll_seconds, report=remediate.report)
    except KeyboardInterrupt:
        print(f"remedy remediate: stopped following; execution {execution_id} goes on", file=sys.stderr)
        return 1
    sys.stdout.write(remediate.outcome_text(execution))
    return 0 if execution.get("AutomationExecutionStatus") in remediate.SUCCEEDED else 1


def _report_results(args: argparse.Namespace, catalogue: Catalogue) -> tuple[list[Result], str]:
    """The results the report is about, and where they came from: the --from-scan file (only the selected
    controls' results), else a scan."""
    if not args.from_scan:
        scanner = _scan(args, catalogue)
        return scanner.results, f"a scan of account {scanner.account}"
    chosen = {c.id for c in selected(catalogue, _names(args.controls), _names(args.frameworks))}
    try:
        results = report.load_results(Path(args.from_scan), catalogue)
    except report.ScanFileError as problem:
        raise UsageError(str(problem)) from None
    return [r for r in results if r.control in chosen], args.from_scan


def _report_history(args: argparse.Namespace, results: list[Result], now: datetime) -> dict:
    """The remediation history of the results' accounts, or why it was not read."""
    if args.no_history:
        return history.skipped("not read (--no-history)")
    if not results:
        return history.skipped("not read: the scan holds no result, so no account to read it for")
    regions = _regions(args) or sorted({r.region for r in results})

    @functools.cache
    def session_for(region: str) -> boto3.Session:
        session = open_session(args.profile, args.role_arn, args.endpoint_url, region)
        ReadOnlyGuard(set(), command="remedy report").install(session)
        return session

    return history.read_history(
        session_for,
        regions=regions,
        prefix=args.prefix,
        bucket=args.audit_bucket,
        accounts={r.account for r in results},
        since=history.window_start(now, args.history_days),
    )


def run_report(args: argparse.Namespace, catalogue: Catalogue) -> int:
    results, source = _report_results(args, catalogue)
    now = datetime.now(UTC)
    built = report.build(
        catalogue,
        results,
        frameworks=_names(args.frameworks),
        history=_report_history(args, results, now),
        source=source,
        generated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(output.as_json(built))
    (folder / "report.html").write_text(report_html.render(built), encoding="utf-8")
    print(f"Wrote {folder / 'report.html'} and {folder / 'report.json'}", file=sys.stderr)
    return 1 if any(result.compliance == ERROR for result in results) else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `remedy` console script."""
    args = parser().parse_args(argv)
    try:
        return args.run(args, load_catalogue())
    except (UsageError, CatalogueError) as problem:
        print(f"remedy {args.command}: {problem}", file=sys.stderr)
        return 2
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as problem:
        print(f"remedy {args.command}: {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
