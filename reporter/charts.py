"""The report's charts as PNG images (matplotlib, headless)."""
from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")   # no display in a CronJob
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from reporter.report import Report  # noqa: E402

SIZE = (8, 3.2)
DPI = 110


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close(figure)
    return buffer.getvalue()


def _time_axis(axes, report: Report) -> None:
    zone = ZoneInfo(report.period.timezone)
    axes.set_xlim(report.period.start, report.period.end)
    pattern = "%H:%M" if report.kind == "daily" else "%d %b"
    axes.xaxis.set_major_formatter(mdates.DateFormatter(pattern, tz=zone))
    axes.grid(alpha=0.3)


def _text(label: str) -> str:
    """Label text as literal characters: matplotlib reads `$...$` as mathtext, and label values come
    from scraped series (`currency="$$"` would otherwise make the chart, and the report, fail)."""
    return label.replace("$", r"\$")


def _times(points, zone: ZoneInfo) -> list[datetime]:
    return [datetime.fromtimestamp(t, zone) for t, _ in points]


def availability_chart(report: Report) -> bytes:
    figure, axes = plt.subplots(figsize=SIZE)
    names = [_text(s.service) for s in report.services]
    for i, s in enumerate(report.services):
        if s.availability is None:
            axes.text(i, 0.5, "no data", ha="center", va="center", color="grey", transform=axes.get_xaxis_transform())
            continue
        ok = s.target is None or s.availability >= s.target.availability
        axes.bar(i, s.availability * 100, color="#2e7d32" if ok else "#c62828")
        if s.target:
            axes.hlines(s.target.availability * 100, i - 0.4, i + 0.4, colors="black", linestyles="dashed")
    known = [s.availability * 100 for s in report.services if s.availability is not None]
    known += [s.target.availability * 100 for s in report.services if s.target]
    axes.set_ylim(max(0.0, min(known) - 0.5) if known else 0, 100.05)
    axes.set_xlim(-0.5, len(names) - 0.5)
    axes.set_xticks(range(len(names)), names)
    axes.set_ylabel("availability %  (dashed: target)")
    return _png(figure)


def error_rate_chart(report: Report) -> bytes:
    figure, axes = plt.subplots(figsize=SIZE)
    zone = ZoneInfo(report.period.timezone)
    for service, points in report.error_trend.items():
        axes.step(_times(points, zone), [v * 100 for _, v in points], where="post", label=_text(service))
    _time_axis(axes, report)
    axes.set_ylabel("5xx responses %")
    if report.error_trend:
        axes.legend(loc="upper right", fontsize="small")
    else:
        axes.text(0.5, 0.5, "no data", ha="center", transform=axes.transAxes, color="grey")
    return _png(figure)


def latency_chart(report: Report) -> bytes:
    figure, axes = plt.subplots(figsize=SIZE)
    zone = ZoneInfo(report.period.timezone)
    plotted = False
    for s in report.services:
        if not s.p95_windows or s.target is None:
            continue
        points = sorted(s.p95_windows.items())
        line, = axes.plot(_times(points, zone), [v * 1000 for _, v in points], label=_text(s.service),
                         linewidth=1)
        axes.axhline(s.target.latency_p95_seconds * 1000, color=line.get_color(), linestyle="dashed", linewidth=1)
        plotted = True
    _time_axis(axes, report)
    axes.set_ylabel("P95 ms  (dashed: target)")
    if plotted:
        axes.legend(loc="upper right", fontsize="small")
    else:
        axes.text(0.5, 0.5, "no data", ha="center", transform=axes.transAxes, color="grey")
    return _png(figure)


def transactions_chart(report: Report) -> bytes:
    figure, axes = plt.subplots(figsize=SIZE)
    transactions = report.business.transactions or {}
    currencies = sorted(transactions)
    statuses = sorted({status for by_status in transactions.values() for status in by_status})
    width = 0.8 / max(len(statuses), 1)
    for j, status in enumerate(statuses):
        axes.bar([i + j * width for i in range(len(currencies))],
                 [transactions[c].get(status, 0) for c in currencies], width, label=_text(status))
    axes.set_xticks([i + width * (len(statuses) - 1) / 2 for i in range(len(currencies))],
                  [_text(c) for c in currencies])
    axes.set_ylabel("transactions")
    if currencies:
        axes.legend(fontsize="small")
    else:
        axes.text(0.5, 0.5, "no data", ha="center", transform=axes.transAxes, color="grey")
    return _png(figure)


def render_charts(report: Report) -> dict[str, bytes]:
    return {"availability": availability_chart(report), "error_rate": error_rate_chart(report),
            "latency": latency_chart(report), "transactions": transactions_chart(report)}
