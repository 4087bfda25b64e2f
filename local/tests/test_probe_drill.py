"""The blackbox probe, end to end on the local stack: Debian's blackbox exporter on loopback runs the
rendered modules against the payment service's health endpoint, scraped through the rendered
`blackbox` job. With the payment service down the probe fails and EndpointProbeFailed fires on the
real Prometheus; healed, the probe succeeds again and the alert resolves."""
from __future__ import annotations

import time

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("local-stack")]

PROBE = 'probe_success{job="blackbox", module="http_2xx", service="payment", team="payment"}'
FIRING = 'ALERTS{alertname="EndpointProbeFailed", alertstate="firing", service="payment", team="payment"}'


def _wait(observer, condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.1)
    raise TimeoutError(f"{what} not within {timeout:.1f}s; alerts: {observer.active_alerts()}")


def test_payment_probe_fails_with_the_fault_fires_and_recovers(stack, observer, rendered, record):
    (series,) = observer.query(PROBE)
    assert series["metric"]["instance"] == stack.health_url("payment")
    assert float(series["value"][1]) == 1

    started = time.monotonic()
    observer.service_faults("payment", down=True)
    _wait(observer, lambda: observer.value(PROBE) == 0, rendered.scrape + 10, "probe_success 0")
    # the exporter answered the scrape: the probe failed, not the scrape
    assert observer.value(f'up{{job="blackbox", instance="{stack.health_url("payment")}"}}') == 1
    bound = rendered.scrape + rendered.for_("EndpointProbeFailed") + rendered.evaluation("EndpointProbeFailed")
    fired = _wait(observer, lambda: observer.query(FIRING), bound + 15, "EndpointProbeFailed firing")
    result = record("payment endpoint probe", "EndpointProbeFailed firing in Prometheus", fired - started, bound)
    assert result.within, result
    assert fired - started >= rendered.for_("EndpointProbeFailed")  # held for its `for`, not at once

    started = time.monotonic()
    observer.service_faults("payment", down=False)
    _wait(observer, lambda: observer.value(PROBE) == 1, rendered.scrape + 10, "probe_success 1")
    _wait(observer, lambda: not observer.query(f'ALERTS{{alertname="EndpointProbeFailed"}}'),
          rendered.scrape + 2 * rendered.evaluation("EndpointProbeFailed") + 10, "EndpointProbeFailed resolved")


def test_a_failing_health_endpoint_fails_the_probe_while_the_pods_are_still_scraped(stack, observer, rendered):
    # What only the probe sees: the service answers its scrapes, its health says DOWN (503).
    observer.service_faults("payment", unhealthy=True)
    bound = rendered.scrape + rendered.for_("EndpointProbeFailed") + rendered.evaluation("EndpointProbeFailed")
    _wait(observer, lambda: observer.query(FIRING), bound + 15, "EndpointProbeFailed firing")
    assert observer.value(PROBE) == 0
    assert observer.value('probe_http_status_code{job="blackbox", service="payment"}') == 503
    assert observer.value('min(up{job="waqiti-payment-service"})') == 1
    assert not observer.query('ALERTS{alertname="PaymentServiceDown"}')

    observer.service_faults("payment", unhealthy=False)
    _wait(observer, lambda: observer.value(PROBE) == 1, rendered.scrape + 10, "probe_success 1")
