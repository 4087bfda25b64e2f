"""The report's content as a neutral document (sections of paragraphs, tables and charts) that the
HTML email and the PDF both render, so the two can never disagree."""
from __future__ import annotations

from dataclasses import dataclass, field

from reporter import formatting as f
from reporter.report import Report
from reporter.sla import INCOMPLETE, MET, MISSED, NO_DATA, ServiceSla

GOOD, BAD, MISSING = "good", "bad", "missing"


@dataclass(frozen=True)
class Cell:
    text: str
    tone: str | None = None          # good | bad | missing: colours the cell


@dataclass(frozen=True)
class Table:
    kind = "table"
    header: list[str]
    rows: list[list[Cell]]
    empty_text: str = "None in this period."


@dataclass(frozen=True)
class Paragraph:
    kind = "paragraph"
    text: str


@dataclass(frozen=True)
class Chart:
    kind = "chart"
    name: str                        # key into the rendered charts (PNG) and the email's cid
    caption: str


@dataclass
class Section:
    title: str
    blocks: list = field(default_factory=list)


@dataclass
class Document:
    title: str
    subtitle: str
    sections: list[Section]


def _cells(*values, tone=None) -> list[Cell]:
    return [v if isinstance(v, Cell) else Cell(str(v), tone) for v in values]


def _figure(text: str) -> Cell:
    return Cell(text, MISSING if text == f.NO_DATA else None)


def _judged(text: str, passed: bool | None) -> Cell:
    return Cell(text, MISSING if passed is None else (GOOD if passed else BAD))


STATUS_TONE = {MET: GOOD, MISSED: BAD, INCOMPLETE: MISSING, NO_DATA: MISSING}


def _service_row(s: ServiceSla) -> list[Cell]:
    checks = {name.split()[0]: passed for name, passed in s.checks()}
    t = s.target
    coverage = min(s.request_coverage, s.uptime_coverage) if s.request_windows and s.up_points else \
        max(s.request_coverage, s.uptime_coverage)
    return _cells(
        s.service,
        f"{f.percent(t.availability, 2)} / ≤{f.percent(t.error_rate, 2)} / <{t.latency_p95_seconds * 1000:g} ms" if t else "—",
        _judged(f.percent(s.availability), checks.get("availability")),
        _figure(f.percent(s.success_ratio)),
        _figure(f.percent(s.uptime)),
        _judged(f.percent(s.error_rate), checks.get("error")),
        _figure(f.milliseconds(s.p50)),
        _judged(f.milliseconds(s.p95), checks.get("P95")),
        _figure(f.milliseconds(s.p99)),
        _figure(f.percent(s.budget_consumed, 1)) if t else Cell("—"),
        _figure(f.percent(s.budget_remaining, 1)) if t else Cell("—"),
        Cell(f.percent(coverage, 1), None if coverage >= 0.999 else MISSING),
        Cell(s.status, STATUS_TONE.get(s.status)))


def _sla_section(report: Report) -> Section:
    services = report.services
    missed = [s.service for s in services if s.status == MISSED]
    missing = [s.service for s in services if s.status in (NO_DATA, INCOMPLETE)]
    summary = (f"{sum(s.status == MET for s in services)} service(s) met every target; "
               f"missed: {', '.join(missed) or 'none'}; without (complete) data: {', '.join(missing) or 'none'}. "
               f"{len(report.violations)} SLA violation(s).")
    return Section("Service availability and latency", [
        Paragraph(summary),
        Table(["Service", "Target (avail. / errors / P95)", "Availability", "Request success", "Uptime",
               "Error rate", "P50", "P95", "P99", "Budget consumed", "Budget remaining", "Data coverage",
               "Status"], [_service_row(s) for s in services]),
        Paragraph("Availability is the lower of the request success ratio (non-5xx responses) and the uptime "
                  "(minutes with at least one instance up). The error budget is (1 - target) of this period. "
                  "Data coverage is the share of the period with samples; 'no data' is never counted as up."),
        Chart("availability", "Availability against target"),
        Chart("error_rate", "Error-rate trend"),
        Chart("latency", "P95 latency per 5 minutes against target"),
    ])


def _violations_section(report: Report) -> Section:
    tz = report.period.timezone
    rows = []
    for v in report.violations:
        worst = "" if v.worst is None else (f.percent(v.worst, 2) if v.kind == "error rate" else f.milliseconds(v.worst))
        alerts = Cell(", ".join(v.alerts)) if v.alerts else Cell("none fired", BAD)
        rows.append(_cells(v.service, v.kind, f.local_time(v.start, tz), f.duration(v.duration_seconds), worst, alerts))
    return Section("SLA violations", [
        Paragraph("Stretches in which a service missed a target: error rate or P95 per 5-minute window, "
                  "down per minute. 'none fired' means no alert covered the violation."),
        Table(["Service", "Violation", "Start", "Duration", "Worst", "Alert that fired"], rows,
              "No SLA violations in this period.")])


def _alerts_section(report: Report) -> Section:
    tz = report.period.timezone
    rows = [_cells(a.alertname, a.severity or "—", a.team or "—", a.service or "—", f.local_time(a.active_at, tz),
                   f.local_time(a.firing_start, tz), "still firing" if a.ongoing else f.local_time(a.end, tz),
                   f.duration(a.firing_seconds)) for a in report.alerts]
    return Section("Alerts that fired", [Table(
        ["Alert", "Severity", "Team", "Service", "Active since", "Firing", "Resolved", "Time to resolve"], rows,
        "No alerts fired in this period.")])


def _business_section(report: Report) -> Section:
    b = report.business
    rows = []
    for currency in b.currencies:
        statuses = (b.transactions or {}).get(currency, {})
        rows.append(_cells(currency, *(f.count(statuses.get(s, 0.0)) if b.transactions else f.NO_DATA
                                       for s in ("completed", "failed", "pending", "refunded")),
                           f.amount((b.transaction_amount or {}).get(currency), currency),
                           f.amount((b.revenue or {}).get(currency), currency),
                           f.amount((b.fees or {}).get(currency), currency)))

    def breakdown(table: dict[str, float] | None) -> str:
        if table is None:
            return f.NO_DATA
        parts = ", ".join(f"{key or 'unlabelled'} {f.count(v)}" for key, v in table.items())
        return f"{f.count(sum(table.values()))} ({parts})"
    return Section("Business summary", [
        Paragraph("Per currency; amounts are never added across currencies."),
        Table(["Currency", "Completed", "Failed", "Pending", "Refunded", "Amount processed", "Revenue", "Fees"],
              rows, "No transaction, revenue or fee data in this period (no data)."),
        Table(["Figure", "Value"], [
            _cells("User registrations (by user type)", _figure(breakdown(b.registrations))),
            _cells("Fraud alerts (by risk level)", _figure(breakdown(b.fraud_alerts)))]),
        Chart("transactions", "Transactions per currency"),
    ])


def _noise_section(report: Report) -> Section:
    noise, tz = report.noise, report.period.timezone
    frequent = [_cells(r.alertname, r.severity or "—", r.firings, f.duration(r.total_firing_seconds),
                       f.duration(r.median_resolve_seconds), f.duration(r.max_resolve_seconds))
                for r in noise.most_frequent]
    flapping = [_cells(r.alertname, ", ".join(f"{k}={v}" for k, v in r.labels if k != "alertname"), r.firings,
                       f.duration(r.shortest_gap_seconds)) for r in noise.flapping]
    breaches = [_cells(b.alert.alertname, b.alert.team or "—", f.local_time(b.alert.firing_start, tz),
                       Cell(b.reason, BAD)) for b in noise.pages_outside_policy]
    return Section("Alert-noise review", [
        Paragraph("For tuning thresholds: the alerts that fired most, those that flapped (fired 3+ times, "
                  "re-firing within an hour of resolving), time to resolve, and pages outside the escalation "
                  "policy."),
        Table(["Alert", "Severity", "Firings", "Total firing", "Median time to resolve", "Longest"], frequent,
              "No alerts fired in this period."),
        Table(["Flapping alert", "Labels", "Firings", "Shortest quiet gap"], flapping, "No flapping alerts."),
        Table(["Page", "Team", "Fired at", "Outside the policy because"], breaches,
              "Every page followed the escalation policy."),
    ])


def _compliance_section(report: Report) -> Section:
    c, tz = report.compliance, report.period.timezone
    attainment = [_cells(s.service, f.percent(s.target.availability, 2), _figure(f.percent(s.availability)),
                         Cell(s.status, STATUS_TONE.get(s.status)))
                  for s in report.services if s.target]
    counts = [_cells(severity, team, n) for (severity, team), n in c.alert_counts.items()]
    changes = [_cells(ch.component, ch.instance, f.local_time(ch.at, tz)) for ch in c.config_changes]
    return Section("Compliance and audit", [
        Table(["Service", "SLA target", f"Attained in {report.period.label}", "Status"], attainment),
        Table(["Severity", "Team", "Alerts fired"], counts, "No alerts fired in this period."),
        Table(["Configuration reloaded", "Instance", "At"], changes,
              "No configuration changes in this period." if c.config_data_found
              else "Configuration reload metrics missing: changes unknown (no data)."),
    ])


def build_document(report: Report) -> Document:
    period, tz = report.period, report.period.timezone
    subtitle = (f"{f.local_time(period.start.timestamp(), tz)} to {f.local_time(period.end.timestamp(), tz)} "
                f"({tz}); generated {f.local_time(report.generated_at.timestamp(), tz)}")
    sections = [_sla_section(report), _violations_section(report), _alerts_section(report), _business_section(report)]
    if report.noise is not None:
        sections.append(_noise_section(report))
    if report.compliance is not None:
        sections.append(_compliance_section(report))
    return Document(report.title, subtitle, sections)
