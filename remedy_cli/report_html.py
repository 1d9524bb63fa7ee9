"""report.html: the report as one self-contained page, inline CSS and inline SVG charts, nothing loaded from
anywhere (its Content-Security-Policy forbids every fetch and every script). Every value is HTML-escaped."""

from __future__ import annotations

import html
import json
from collections import defaultdict

from remedy_cli.report import COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, NOT_EVALUATED
from remedy_cli.scan import ERROR

COLOURS = {
    COMPLIANT: "#2e7d32",
    NON_COMPLIANT: "#c62828",
    ERROR: "#ef6c00",
    NOT_APPLICABLE: "#90a4ae",
    NOT_EVALUATED: "#bdbdbd",
}
LABELS = {
    COMPLIANT: "compliant",
    NON_COMPLIANT: "non-compliant",
    ERROR: "error",
    NOT_APPLICABLE: "not applicable",
    NOT_EVALUATED: "not evaluated",
}
RESOURCE_ORDER = (COMPLIANT, NON_COMPLIANT)
# No fetch of any kind (default-src 'none'), no script; the inline style element only.
POLICY = "default-src 'none'; style-src 'unsafe-inline'"
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#212121;max-width:1200px}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.5rem;border-bottom:2px solid #e0e0e0;padding-bottom:.3rem}
table{border-collapse:collapse;width:100%;margin:.8rem 0;font-size:.88rem}
th,td{border:1px solid #e0e0e0;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.n{text-align:right}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:.6rem;color:#fff;font-size:.8rem;white-space:nowrap}
.meta{color:#616161}.note{background:#fff8e1;border-left:4px solid #ffb300;padding:.5rem .8rem}
pre{margin:0;white-space:pre-wrap;word-break:break-all;font-size:.78rem;max-height:14rem;overflow:auto}
ul.ids{margin:0;padding-left:1.1rem}code{font-size:.82rem;word-break:break-all}
svg text{font-family:inherit;font-size:12px}
"""


def e(value: object) -> str:
    """`value` as HTML text, quotes included (safe in text and in attribute values)."""
    return html.escape("" if value is None else str(value), quote=True)


def badge(status: str) -> str:
    colour = COLOURS.get(status, "#616161")
    return f'<span class="badge" style="background:{colour}">{e(LABELS.get(status, status))}</span>'


def _state(value: object) -> str:
    if value is None:
        return '<span class="meta">-</span>'
    text = value if isinstance(value, str) else json.dumps(value, indent=2, sort_keys=True)
    return f"<pre>{e(text)}</pre>"


def stacked_bars(title: str, rows: list[tuple[str, dict[str, int]]], order: tuple[str, ...]) -> str:
    """A horizontal stacked bar per row (label, count per status), scaled to the largest total, with a legend."""
    label_width, bar_width, row_height = 220, 640, 28
    top = 30
    height = top + row_height * len(rows) + 40
    largest = max([sum(counts.values()) for _, counts in rows] + [1])
    parts = [
        f'<svg role="img" aria-label="{e(title)}" viewBox="0 0 {label_width + bar_width + 80} {height}" '
        f'width="100%" style="max-width:{label_width + bar_width + 80}px">',
        f'<text x="0" y="16" font-weight="bold">{e(title)}</text>',
    ]
    for index, (label, counts) in enumerate(rows):
        y = top + index * row_height
        parts.append(f'<text x="0" y="{y + 17}">{e(label)}</text>')
        x = float(label_width)
        for status in order:
            width = bar_width * counts.get(status, 0) / largest
            if width:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 4}" width="{width:.1f}" height="{row_height - 8}" '
                    f'fill="{COLOURS[status]}"><title>{e(label)}: {counts[status]} {e(LABELS[status])}</title></rect>'
                )
            x += width
        total = sum(counts.values())
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 17}">{total}</text>')
    legend_y, x = top + row_height * len(rows) + 20, float(label_width)
    for status in order:
        parts.append(f'<rect x="{x:.1f}" y="{legend_y - 10}" width="12" height="12" fill="{COLOURS[status]}"/>')
        parts.append(f'<text x="{x + 16:.1f}" y="{legend_y}">{e(LABELS[status])}</text>')
        x += 130
    parts.append("</svg>")
    return "".join(parts)


def _header(report: dict) -> str:
    scan = report["scan"]
    counts = ", ".join(f"{e(k)} {v}" for k, v in scan["results_by_compliance"].items()) or "none"
    return (
        "<h1>Remedy compliance report</h1>"
        f'<p class="meta">Generated {e(report["generated_at"])} from {e(scan["source"])}. '
        f"Accounts: {e(', '.join(scan['accounts']) or '-')}. Regions: {e(', '.join(scan['regions']) or '-')}. "
        f"Results: {scan['results']} ({counts}).</p>"
    )


def _frameworks(report: dict) -> str:
    frameworks = report["frameworks"]
    order = (COMPLIANT, NON_COMPLIANT, NOT_EVALUATED)
    rows = [(f"{f['title']} ({_covered(f)})", _by_status(f)) for f in frameworks.values()]
    parts = [
        "<h2>Frameworks</h2>",
        "<p>Requirements the catalogue covers, by status. A requirement is compliant only if every control covering "
        "it was evaluated and none found a non-compliant resource.</p>",
        stacked_bars("Requirements covered: compliant vs non-compliant", rows, order),
    ]
    for name, framework in frameworks.items():
        parts.append(
            f'<h3 id="{e(name)}">{e(framework["title"])}: {framework["compliant"]} of '
            f"{framework['requirements_covered']} covered requirements compliant</h3>"
        )
        parts.append("<table><tr><th>Requirement</th><th>Status</th><th>Controls</th><th>Reason</th></tr>")
        for requirement in framework["requirements"]:
            controls = ", ".join(
                f"<code>{e(c['control'])}</code> {badge(c['status'])}" for c in requirement["controls"]
            )
            parts.append(
                f"<tr><td>{e(requirement['requirement'])}</td><td>{badge(requirement['status'])}</td>"
                f"<td>{controls}</td><td>{e(requirement.get('reason', ''))}</td></tr>"
            )
        parts.append("</table>")
    return "".join(parts)


def _covered(framework: dict) -> str:
    """ "12 of 62 covered", or "12 covered" where the framework's total is not known."""
    total = framework.get("requirements_total")
    return f"{framework['requirements_covered']}{f' of {total}' if total is not None else ''} covered"


def _by_status(framework: dict) -> dict[str, int]:
    return {status: framework[status.lower()] for status in (COMPLIANT, NON_COMPLIANT, NOT_EVALUATED)}


def _meta(text: object) -> str:
    return f'<span class="meta">{e(text)}</span>' if text else ""


def _ids(resources: list[dict]) -> str:
    if not resources:
        return ""
    items = "".join(f"<li><code>{e(r['resource_id'])}</code> {_meta(r['annotation'])}</li>" for r in resources)
    return f'<ul class="ids">{items}</ul>'


def _controls(report: dict) -> str:
    entries = report["controls"]
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {COMPLIANT: 0, NON_COMPLIANT: 0})
    for entry in entries:
        totals[entry["control"]][COMPLIANT] += entry["compliant"]
        totals[entry["control"]][NON_COMPLIANT] += entry["non_compliant"]
    parts = [
        "<h2>Controls by account and region</h2>",
        stacked_bars("Resources per control: compliant vs non-compliant", list(totals.items()), RESOURCE_ORDER)
        if totals
        else '<p class="note">The scan holds no result.</p>',
        "<table><tr><th>Control</th><th>Severity</th><th>Account</th><th>Region</th><th>Status</th>"
        "<th>Compliant</th><th>Non-compliant</th><th>Not applicable</th><th>Errors</th>"
        "<th>Non-compliant resources</th><th>Errors by resource</th></tr>",
    ]
    for entry in entries:
        parts.append(
            f"<tr><td><code>{e(entry['control'])}</code><br>{e(entry['title'])}</td><td>{e(entry['severity'])}</td>"
            f"<td>{e(entry['account'])}</td><td>{e(entry['region'])}</td><td>{badge(entry['status'])}</td>"
            f'<td class="n">{entry["compliant"]}</td><td class="n">{entry["non_compliant"]}</td>'
            f'<td class="n">{entry["not_applicable"]}</td><td class="n">{entry["errors"]}</td>'
            f"<td>{_ids(entry['non_compliant_resources'])}</td><td>{_ids(entry['error_resources'])}</td></tr>"
        )
    parts.append("</table>")
    return "".join(parts)


def _history(report: dict) -> str:
    history = report["remediation_history"]
    source = f" Source: <code>{e(history['source'])}</code>." if history["source"] else ""
    parts = ["<h2>Remediation history</h2>", f'<p class="note">{e(history["note"])}.{source}</p>']
    if history["executions"]:
        parts.append(
            "<table><tr><th>Ended</th><th>Control</th><th>Account / region</th><th>Resource</th><th>Status</th>"
            "<th>Trigger</th><th>Previous state</th><th>Current state</th><th>Message</th></tr>"
        )
        for run in history["executions"]:
            parts.append(
                f"<tr><td>{e(run['end_time'])}</td><td><code>{e(run['control'])}</code></td>"
                f"<td>{e(run['account'])}<br>{e(run['region'])}</td><td><code>{e(run['resource_id'])}</code></td>"
                f"<td>{e(run['status'])}<br>{_meta(run['execution_id'])}</td>"
                f"<td>{e(run['trigger'])}</td><td>{_state(run['previous_state'])}</td>"
                f"<td>{_state(run['current_state'])}</td><td>{e(run['message'] or run['failure_message'])}</td></tr>"
            )
        parts.append("</table>")
    return "".join(parts)


def render(report: dict) -> str:
    """report.html's text."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{e(POLICY)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Remedy compliance report</title><style>{STYLE}</style></head><body>"
        f"{_header(report)}{_frameworks(report)}{_controls(report)}{_history(report)}</body></html>\n"
    )
