"""The `remedy` command: argument parsing and the subcommands."""

from __future__ import annotations

import argparse
import os
import sys

import botocore.exceptions

from catalogue import FRAMEWORKS, Catalogue, CatalogueError, Control, load_catalogue
from remedy_cli import controls as controls_view
from remedy_cli import output
from remedy_cli.aws import open_session
from remedy_cli.scan import ERROR, Scanner


class UsageError(Exception):
    """The command line asks for something that does not exist (exit status 2)."""


SCAN_COLUMNS = ["CONTROL", "ACCOUNT", "REGION", "RESOURCE TYPE", "RESOURCE ID", "COMPLIANCE", "ANNOTATION"]


def _names(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated option values, flattened."""
    return [name.strip() for value in values or [] for name in value.split(",") if name.strip()]


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="remedy",
        description="Remedy's operator command line: list the control catalogue and its framework coverage, and "
        "scan an AWS account with the catalogue's rules (read-only).",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser(
        "controls",
        help="list the catalogue's controls or their framework coverage",
        description="List the control catalogue: id, title, severity, resource type, automatic or manual "
        "remediation, frameworks. With --coverage: per framework, each requirement id covered and the controls "
        "covering it.",
    )
    listing.add_argument("--coverage", action="store_true", help="per framework, the requirements covered and by what")
    _format_options(listing)
    listing.set_defaults(run=run_controls)

    scan = commands.add_parser(
        "scan",
        help="evaluate the catalogue's rules against an AWS account, read-only",
        description="Run the catalogue's AWS Config rule code, unmodified, against an account: resources from AWS "
        "Config where a recorder records their type, else from the services' read APIs. Only reads: the rules' "
        "PutEvaluations calls are answered locally and any other call that is not a read is refused before it is "
        "sent. Exit status 1 if a rule could not evaluate something (compliance ERROR).",
    )
    scan.add_argument("--profile", help="AWS named profile (default: the environment's credentials)")
    scan.add_argument("--role-arn", help="assume this role (sts:AssumeRole) and scan with its credentials")
    scan.add_argument(
        "--region",
        action="append",
        help="region to scan; repeat for several (default: AWS_REGION, else the profile's region). "
        "Controls of account-global resources run in the first region only",
    )
    scan.add_argument("--endpoint-url", help="send every call to this endpoint (an emulator such as a moto server)")
    scan.add_argument("--controls", action="append", help="control ids to run (comma-separated or repeated)")
    scan.add_argument(
        "--frameworks",
        action="append",
        help=f"run the controls mapped to these frameworks ({', '.join(FRAMEWORKS)}; comma-separated or repeated)",
    )
    scan.add_argument("--workers", type=int, default=8, help="threads reading and evaluating at once (default 8)")
    _format_options(scan)
    scan.set_defaults(run=run_scan)
    return top


def _format_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--format", choices=("table", "json"), default="table", help="output format (default table)")
    command.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")


def run_controls(args: argparse.Namespace, catalogue: Catalogue) -> int:
    if args.coverage:
        if args.format == "json":
            text = output.as_json(controls_view.coverage(catalogue))
        else:
            rows = controls_view.coverage_table_rows(catalogue)
            text = output.table(controls_view.COVERAGE_COLUMNS, rows)
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


def run_scan(args: argparse.Namespace, catalogue: Catalogue) -> int:
    chosen = selected(catalogue, _names(args.controls), _names(args.frameworks))
    regions = _names(args.region) or [r for r in (os.environ.get("AWS_REGION"),) if r]
    session = open_session(args.profile, args.role_arn, args.endpoint_url, regions[0] if regions else None)
    regions = regions or [r for r in (session.region_name,) if r]
    if not regions:
        raise UsageError("no region: give --region (or set AWS_REGION, or a region in the profile)")
    progress = output.Progress("scan")
    results = Scanner(session, chosen, regions, workers=max(1, args.workers), progress=progress).run()
    progress.finish()
    if args.format == "json":
        text = output.as_json([result.as_dict() for result in results])
    else:
        rows = [[str(value) for value in result.as_dict().values()] for result in results]
        text = output.table(SCAN_COLUMNS, rows)
    output.write(text, args.output)
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
