"""End-to-end incident drills against the local stack: a fault goes in at a simulated service or the
database, and what arrives at PagerDuty, Slack, email and SMS (the local sinks) is checked, with
its latency against the bound the rendered configuration promises (scaled by the time scale)."""
from __future__ import annotations

import collections
import time

import pytest

from local.am_events import alertmanager_events, describe
from local.observe import first
from local.prometheus_history import changes
from local.stack import ALERTMANAGER_PEERS
from local.tests.conftest import DELIVERY_SLACK
from testsupport.alertmanager import PEER_TIMEOUT_SECONDS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("local-stack")]


def arrivals(observer, timeout: float, *wanted: tuple) -> list:
    """Waits until a notification matching each (channel, alertname, status[, target]) arrived."""
    def all_there(notifications):
        found = [first(notifications, *spec) for spec in wanted]
        return found if all(found) else None

    return observer.wait_for(all_there, timeout)


def test_unacknowledged_critical_escalates_to_sms_acknowledged_does_not(stack, observer, rendered, record):
    # First drill: no Alertmanager group exists yet (a group left over by an earlier incident would
    # let a new alert skip its group_wait). The wallet is left unacknowledged; the payment service
    # is acknowledged by a silence after the first page.
    started = time.time()
    observer.service_faults("wallet", down=True)
    observer.service_faults("payment", down=True)
    bound = rendered.detection_bound("PaymentServiceDown", "oncall-critical")
    arrivals(observer, bound + 15, ("pagerduty", "PaymentServiceDown", "firing"), ("pagerduty", "WalletServiceDown", "firing"))
    observer.silence(alertname="PaymentServiceDown", service="payment")  # on-call acknowledges the payment page

    sms_bound = rendered.detection_bound("WalletServiceDown", "escalation-sms")
    (sms,) = arrivals(observer, sms_bound + 15, ("sms", "WalletServiceDown", "firing"))
    result = record("unacknowledged critical", "SMS via SNS after the escalation delay", sms.time - started, sms_bound)
    assert result.within, result
    assert sms.time - started >= rendered.route("escalation-sms")["group_wait"]  # not before the delay
    assert "WalletServiceDown" in sms.raw["message"]

    # level 2 at the same mark; the acknowledged payment alert reaches neither
    arrivals(observer, 10, ("email", "WalletServiceDown", "firing", "engineering-managers@example.com"))
    time.sleep(rendered.route("escalation-sms")["group_interval"])
    escalated = [n for n in observer.notifications() if "PaymentServiceDown" in n.alertnames
                 and (n.channel == "sms" or n.target in ("engineering-managers@example.com", "leadership@example.com"))]
    assert not escalated, escalated


def _story(stack, started: float, alertname: str, job: str) -> str:
    """Each side of an incident in seconds after `started`: the target's `up` and the alert's state in
    Prometheus, then each Alertmanager peer's events (what arrived, what was sent and why)."""
    since = started - 60
    up = changes(stack, 'up{job="%s"}' % job, since, started)
    up += "\n" + changes(stack, 'scrape_duration_seconds{job="%s"} > 1' % job, since, started)
    alerts = changes(stack, 'ALERTS{alertname="%s"}' % alertname, since, started)
    # an overloaded Prometheus evaluates late: its firing time (startsAt) is then well before Alertmanager has it
    alerts += "\n" + changes(stack, "sum(prometheus_rule_group_iterations_missed_total)", since, started)
    events = describe(alertmanager_events(stack, alertname, since), started)
    return f"\nPrometheus (s after the fault):\n{up}\n{alerts}\nAlertmanager events (s after the fault):\n{events}"


def _paged(observer, stack, started: float, timeout: float, alertname: str) -> tuple:
    """PagerDuty and Slack #critical-alerts firing for `alertname`, or an error telling each side."""
    try:
        return arrivals(observer, timeout, ("pagerduty", alertname, "firing"), ("slack", alertname, "firing", "#critical-alerts"))
    except TimeoutError as error:
        raise AssertionError(f"{error}{_story(stack, started, alertname, 'waqiti-payment-service')}") from None


def test_payment_service_down_pages_and_recovery_resolves(stack, observer, rendered, record):
    started = time.time()
    observer.service_faults("payment", down=True)
    bound = rendered.detection_bound("PaymentServiceDown", "oncall-critical")
    pagerduty, slack = _paged(observer, stack, started, bound + 15, "PaymentServiceDown")
    result = record("payment down", "PagerDuty + Slack #critical-alerts", max(pagerduty.time, slack.time) - started, bound)
    assert result.within, f"{result}{_story(stack, started, 'PaymentServiceDown', 'waqiti-payment-service')}"
    assert pagerduty.target == stack.credentials["pagerduty-routing-key"]  # read from its secret file
    assert pagerduty.raw["body"]["payload"]["severity"] == "critical"

    observer.mark()  # the resolved notification of an earlier drill's incident may still be on its way
    started = time.time()
    observer.service_faults("payment", down=False)
    bound = rendered.scrape + rendered.evaluation("PaymentServiceDown") + rendered.route("oncall-critical")["group_interval"]
    resolved = arrivals(observer, bound + 15, ("pagerduty", "PaymentServiceDown", "resolved"),
                        ("slack", "PaymentServiceDown", "resolved", "#critical-alerts"))
    result = record("payment down", "recovery: resolved on PagerDuty + Slack", max(n.time for n in resolved) - started, bound)
    assert result.within, result


def test_recurring_payment_outage_pages_every_time_within_the_first_incidents_bound(stack, observer, rendered, record):
    """The outage comes back at once after its resolved notification, within Prometheus's 15 minutes
    of resolved-alert retention (which keeps re-sending the resolved alert): PagerDuty and Slack page
    the recurrence within scrape + `for` + evaluation + group_wait, as the first incident."""
    bound = rendered.detection_bound("PaymentServiceDown", "oncall-critical")
    resolved_bound = rendered.scrape + rendered.evaluation("PaymentServiceDown") + rendered.route("oncall-critical")["group_interval"]
    for incident in ("first incident", "recurrence"):
        observer.mark()
        started = time.time()
        observer.service_faults("payment", down=True)
        pagerduty, slack = _paged(observer, stack, started, bound + 15, "PaymentServiceDown")
        result = record("payment down, then again", f"{incident}: PagerDuty + Slack #critical-alerts",
                        max(pagerduty.time, slack.time) - started, bound)
        assert result.within, f"{result}{_story(stack, started, 'PaymentServiceDown', 'waqiti-payment-service')}"
        observer.mark()
        observer.service_faults("payment", down=False)
        arrivals(observer, resolved_bound + 15, ("pagerduty", "PaymentServiceDown", "resolved"),
                 ("slack", "PaymentServiceDown", "resolved", "#critical-alerts"))


def _sender_position_zero(stack) -> int:
    """Index of the peer that notifies first: Alertmanager orders peers by name; position 0 sends at once."""
    import requests

    names = {requests.get(f"{am.url}/api/v2/status", timeout=5).json()["cluster"]["name"]: i
             for i, am in enumerate(stack.alertmanagers)}
    return names[sorted(names)[0]]


def test_database_down_pages_dba_and_business_alerts_stay_quiet(stack, observer, rendered, record):
    started = time.time()
    stack.postgres.stop(mode="immediate")
    bound = rendered.detection_bound("PostgresDown", "database-critical")
    pagerduty, email = arrivals(observer, bound + 15, ("pagerduty", "PostgresDown", "firing"),
                                ("email", "PostgresDown", "firing", "dba-oncall@example.com"))
    result = record("database down", "PagerDuty + DBA email", max(pagerduty.time, email.time) - started, bound)
    assert result.within, result
    assert email.raw["auth_password"] == stack.credentials["smtp-password"]  # SMTP login from its secret file

    # The exporter stays up and says the database is down; no business anomaly fires or notifies.
    quiet_until = time.time() + rendered.for_("PaymentFailureRateHigh") + 2 * rendered.scrape
    while time.time() < quiet_until:
        assert observer.value('up{job="waqiti-business-metrics-exporter"}') == 1
        assert not observer.query('ALERTS{team=~"operations|growth", alertstate="firing"}')
        time.sleep(0.25)
    assert observer.value('business_exporter_database_up') == 0
    noisy = [n for n in observer.notifications()
             if n.target in ("#operations-alerts", "#growth-alerts", "operations@example.com", "cfo@example.com", "product@example.com")]
    assert not noisy, noisy

    stack.postgres.start()
    observer.wait_for(lambda ns: first(ns, "pagerduty", "PostgresDown", "resolved"), rendered.route("database-critical")["group_interval"] + 20)
    assert not [n for n in observer.notifications() if n.target in ("#operations-alerts", "#growth-alerts")]


def _failure_ratio_bound(rendered, stack, before: float, after: float) -> float:
    """From the change of ratio to the page: the payment is finished (traffic tick + 300ms), read by
    the exporter (refresh interval + safety lag), scraped, the 5-minute window (scaled) tips over 5%
    (linearly from `before` to `after`), evaluated, held for `for`, grouped."""
    window = stack.scaled("5m")
    tipping = window * (0.05 - before) / (after - before)
    return (0.5 + rendered.exporter_interval("payments") + rendered.exporter_safety_lag("payments") + rendered.scrape
            + tipping + rendered.evaluation("PaymentFailureRateHigh") + rendered.for_("PaymentFailureRateHigh")
            + rendered.route("payment-critical-cto")["group_wait"])


def test_payment_failure_rate_8_percent_pages_payment_team_and_cto_3_percent_does_not(stack, observer, rendered, record):
    # 3% for as long as 8% would take to page: nothing, not even pending.
    observer.payment_failure_ratio(0.03)
    quiet_until = time.time() + (stack.scaled("5m") + rendered.for_("PaymentFailureRateHigh") + rendered.evaluation("PaymentFailureRateHigh")
                                 + rendered.exporter_interval("payments") + rendered.exporter_safety_lag("payments") + rendered.scrape + 1)
    while time.time() < quiet_until:
        assert not observer.query('ALERTS{alertname="PaymentFailureRateHigh"}')
        time.sleep(0.25)
    ratio = observer.value('sum(status:payment_transactions:rate5m{status="failed"}) / '
                           'sum(status:payment_transactions:rate5m{status=~"completed|failed"})')
    assert 0.02 < ratio < 0.04, ratio  # the drill really ran at 3%
    assert not [n for n in observer.notifications() if "PaymentFailureRateHigh" in n.alertnames]

    started = time.time()
    observer.payment_failure_ratio(0.08)
    bound = _failure_ratio_bound(rendered, stack, 0.03, 0.08)
    found = arrivals(observer, bound + 20, ("pagerduty", "PaymentFailureRateHigh", "firing"),
                     ("slack", "PaymentFailureRateHigh", "firing", "#payments-alerts"),
                     ("email", "PaymentFailureRateHigh", "firing", "cto@example.com"))
    result = record("payment failure rate 8%", "PagerDuty + #payments-alerts + CTO email", max(n.time for n in found) - started, bound)
    assert result.within, result


def test_reconciliation_failure_pages_at_once(stack, observer, rendered, record):
    started = time.time()
    observer.reconciliation_failure()
    # the exporter compares the wallets changed in each window every `interval` once they are
    # `safety_lag` old (both scaled), then the alert holds for `for`
    bound = (0.2 + rendered.exporter_interval("reconciliation") + rendered.exporter_safety_lag("reconciliation")
             + rendered.detection_bound("WalletBalanceInconsistency", "oncall-critical"))
    pagerduty, slack = arrivals(observer, bound + 15, ("pagerduty", "WalletBalanceInconsistency", "firing"),
                                ("slack", "WalletBalanceInconsistency", "firing", "#critical-alerts"))
    result = record("reconciliation failure", "PagerDuty + Slack", max(pagerduty.time, slack.time) - started, bound)
    assert result.within, result
    assert observer.value("wallet_balance_reconciliation_failures") >= 1


def test_alertmanager_peer_killed_mid_incident_every_notification_exactly_once(stack, observer, rendered, record):
    started = time.time()
    stack.postgres.stop(mode="immediate")
    bound = rendered.detection_bound("PostgresDown", "database-critical")
    arrivals(observer, bound + 15, ("pagerduty", "PostgresDown", "firing"), ("email", "PostgresDown", "firing", "dba-oncall@example.com"))
    # Kill the peer that has been sending, mid-incident, before the escalation; once its notification
    # log has gossiped (every 200ms). Killed within that window, the survivors send the page again:
    # Alertmanager's cluster delivers at least once, not exactly once (seen in this drill).
    time.sleep(1.0)
    killed = _sender_position_zero(stack)
    stack.kill_alertmanager(killed)

    # a surviving peer sends after its position's wait: the killed one stays in the member list a while
    sms_bound = rendered.detection_bound("PostgresDown", "escalation-sms") + (ALERTMANAGER_PEERS - 1) * PEER_TIMEOUT_SECONDS
    (sms,) = arrivals(observer, sms_bound + 15, ("sms", "PostgresDown", "firing"))
    result = record("alertmanager peer killed", "SMS escalation from the surviving peers", sms.time - started, sms_bound)
    assert result.within, result
    arrivals(observer, 10, ("email", "PostgresDown", "firing", "leadership@example.com"))
    stack.postgres.start()
    arrivals(observer, 30, ("pagerduty", "PostgresDown", "resolved"), ("email", "PostgresDown", "resolved", "dba-oncall@example.com"),
             ("email", "PostgresDown", "resolved", "leadership@example.com"))
    time.sleep(2 * rendered.route("database-critical")["group_interval"])  # room for any duplicate to arrive

    counts = collections.Counter((n.channel, n.target if n.channel != "pagerduty" else "", n.status)
                                 for n in observer.notifications() if "PostgresDown" in n.alertnames)
    required = {
        ("pagerduty", "", "firing"), ("pagerduty", "", "resolved"),
        ("email", "dba-oncall@example.com", "firing"), ("email", "dba-oncall@example.com", "resolved"),
        ("sms", "PostgresDown", "firing"),
        ("email", "engineering-managers@example.com", "firing"), ("email", "engineering-managers@example.com", "resolved"),
        ("email", "leadership@example.com", "firing"), ("email", "leadership@example.com", "resolved"),
    }
    assert required <= set(counts), required - set(counts)
    # level 3 may join in if the incident outlasts its delay: whatever was sent, was sent once
    assert all(count == 1 for count in counts.values()), counts


def test_pii_labels_never_stored(stack, observer, rendered):
    observer.service_faults("user", leak_pii=True)
    deadline = time.time() + 10 * rendered.scrape + 5
    while not observer.query("customer_lookups_total") and time.time() < deadline:
        time.sleep(0.2)
    series = observer.query("customer_lookups_total")
    assert series, "the leaking metric never reached Prometheus: the drill proves nothing"
    assert {r["metric"]["job"] for r in series} == {"waqiti-user-service"}
    for result in series:
        assert not {"email", "card_number"} & set(result["metric"]), result["metric"]
    import requests

    labels = requests.get(f"{stack.prometheus.url}/api/v1/labels", timeout=5).json()["data"]
    assert "email" not in labels and "card_number" not in labels
