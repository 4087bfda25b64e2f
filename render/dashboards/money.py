"""Money counters split by `direction` (docs/metrics-contract.md): `credit` grows with what is
booked, `debit` with reversals and refunded fees, so neither series ever goes down (a counter that
went down would read as a reset and spike every `increase()`). Every amount a dashboard shows is
their difference."""

from __future__ import annotations

from render.dashboards.variables import BY_CURRENCY, eq, select

# user_active_total's timeframes are rolling windows, not calendar periods.
ACTIVE_TIMEFRAMES_NOTE = "day, week and month are the last 24 hours, 7 days and 30 days (rolling; month is not the calendar month)"


def net(function: str, metric: str, window: str, *matchers: str) -> str:
    """`function` (rate or increase) of credit minus debit, per series, ready to be summed:
    `(f(m{direction="credit"}[w]) or -f(m{direction="debit"}[w]))`; the two sides differ in
    `direction`, so `or` keeps both and the sum nets them."""
    credit = select(metric, *matchers, eq("direction", "credit"))
    debit = select(metric, *matchers, eq("direction", "debit"))
    return f"({function}({credit}[{window}]) or -{function}({debit}[{window}]))"


def revenue(function: str, window: str, *matchers: str) -> str:
    """Net revenue per currency series (of the sources `matchers` pick)."""
    return net(function, "revenue_total", window, *matchers, BY_CURRENCY)


def fees(function: str, window: str) -> str:
    """Net fees collected per currency series."""
    return net(function, "fee_collection_total", window, BY_CURRENCY)
