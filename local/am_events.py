"""Each Alertmanager peer's own account of an incident, read from its event log (a LocalStack started
with record_events=True): when the alert arrived and joined each receiver's aggregation group, and
every notification the peer sent, with the notification log's reason for sending it.

    events = alertmanager_events(stack, "PaymentServiceDown", since=started)
    print(describe(events, started))      # one line per event, seconds after `started`

A notification the notification log held back (the same alerts already notified, repeat_interval not
yet over) leaves no event: it shows as a flush with no notification.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone


@dataclass(frozen=True)
class AlertmanagerEvent:
    time: float          # epoch seconds
    peer: int
    kind: str            # alertCreated, alertGrouped, notification, alertResolved, silenceMutedAlert, ...
    receiver: str
    integration: str     # notifications only
    reason: str          # notifications only: FIRST_NOTIFICATION, ALL_ALERTS_RESOLVED, ...
    firing: int
    resolved: int
    starts_at: str
    ends_at: str


def _epoch(rfc3339: str) -> float:
    # nanosecond precision: datetime takes microseconds
    main, _, fraction = rfc3339.rstrip("Z").partition(".")
    return datetime.fromisoformat(main).replace(tzinfo=timezone.utc).timestamp() + float("0." + (fraction or "0"))


def _event(line: str, peer: int, alertname: str) -> AlertmanagerEvent | None:
    record = json.loads(line)
    kind, body = next(iter(record["data"].items()))
    alerts = body.get("alerts") or ([body["alert"]] if "alert" in body else [])
    details = [alert.get("details", alert) for alert in alerts]
    if not any(d.get("labels", {}).get("alertname") == alertname for d in details):
        return None
    integration = body.get("integration", {})
    return AlertmanagerEvent(
        time=_epoch(record["@timestamp"]), peer=peer, kind=kind,
        receiver=body.get("groupInfo", {}).get("receiverName", ""),
        integration=integration.get("name", "") + (f"[{integration['index']}]" if integration.get("index") else ""),
        reason=str(body.get("reason", "")).removeprefix("NOTIFY_REASON_"),
        firing=len(body.get("firingAlerts", [])), resolved=len(body.get("resolvedAlerts", [])),
        starts_at=details[0].get("startsAt", ""), ends_at=details[0].get("endsAt", ""))


def alertmanager_events(stack, alertname: str, since: float = 0.0) -> list[AlertmanagerEvent]:
    """Every peer's events about `alertname` from `since` on, oldest first."""
    found = []
    for peer in range(len(stack.alertmanagers)):
        path = stack.events_path(peer)
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            try:
                event = _event(line, peer, alertname)
            except (ValueError, KeyError, StopIteration):
                continue  # a line being written
            if event is not None and event.time >= since:
                found.append(event)
    return sorted(found, key=lambda e: e.time)


def describe(events: list[AlertmanagerEvent], origin: float) -> str:
    """Notifications, resolutions and silences in full; arrivals once per peer and receiver."""
    lines, seen = [], set()
    for e in events:
        if e.kind in ("alertCreated", "alertGrouped"):
            ended = bool(e.ends_at) and not e.ends_at.startswith("0001") and _epoch(e.ends_at) <= e.time
            key = (e.kind, e.peer, e.receiver, e.starts_at, ended)
            if key in seen:
                continue
            seen.add(key)
        detail = (f"{e.integration} {e.reason} firing={e.firing} resolved={e.resolved}" if e.kind == "notification"
                  else f"startsAt={e.starts_at} endsAt={e.ends_at}")
        lines.append(f"  {e.time - origin:8.2f}s am{e.peer} {e.kind:<17} {e.receiver:<18} {detail}")
    return "\n".join(lines)
