"""The charts draw label values as literal text: a scraped label such as currency="$$" or a service
called "$x$" is not matplotlib mathtext, and must not make the report job fail."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone

import matplotlib.pyplot as plt
import pytest

from reporter.business import BusinessSummary
from reporter.charts import render_charts
from reporter.period import period_containing
from reporter.report import Report

HOSTILE = ("$$", "$x$", "$\\nosuchcommand$", "a$b", "$")


def _report() -> Report:
    period = period_containing("daily", date(2026, 11, 27), "UTC")
    start = period.start.timestamp()
    business = BusinessSummary(
        transactions={label: {label: 3.0, "completed": 1.0} for label in HOSTILE},
        transaction_amount=None, revenue=None, fees=None, registrations=None, fraud_alerts=None)
    return Report(period=period, generated_at=datetime(2026, 11, 28, tzinfo=timezone.utc), services=[],
                  error_trend={label: [(start, 0.01), (start + 3600, 0.02)] for label in HOSTILE},
                  violations=[], alerts=[], business=business)


@pytest.mark.parametrize("label", ["$$", "$\\nosuchcommand$"])
def test_unescaped_dollars_would_break_a_chart(label):
    figure, axes = plt.subplots()
    axes.set_xticks([0], [label])
    with pytest.raises(ValueError):
        figure.savefig(io.BytesIO(), format="png")
    plt.close(figure)


def test_charts_render_with_hostile_label_values():
    charts = render_charts(_report())
    assert set(charts) == {"availability", "error_rate", "latency", "transactions"}
    assert all(png.startswith(b"\x89PNG") for png in charts.values())

