"""Alerting: who gets told what. Routing itself is data in configs/alertmanager/."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal, Optional, get_args

from pydantic import AfterValidator, Field, model_validator

from model.settings.types import AwsRegion, DnsLabel, Email, Group, SlackChannel, SnsTopicArn, Timezone, Url

# The auto-remediation hooks there are; each is `<remediationWebhookUrl>/<action>`.
RemediationAction = Literal["freeze-wallets", "replace-node", "scale-db-replicas"]
REMEDIATION_ACTIONS: tuple[str, ...] = get_args(RemediationAction)


_CLOCK = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00"
_WEEKDAY = r"(?:sunday|monday|tuesday|wednesday|thursday|friday|saturday)"
_INTERVAL = re.compile(
    rf"^(?:(?P<weekdays>{_WEEKDAY}(?::{_WEEKDAY})?)|(?P<date>\d{{4}}-\d{{2}}-\d{{2}}))\s+(?P<start>{_CLOCK})-(?P<end>{_CLOCK})$"
)


def time_interval(value: str) -> dict:
    """`<day> <HH:MM>-<HH:MM>` as an Alertmanager time interval. <day> is a weekday, a range of
    weekdays (monday:friday) or a date (2026-12-05, a one-off window). Times are [start, end)."""
    found = _INTERVAL.match(value.strip().lower())
    if not found:
        raise ValueError(f"expected '<weekday[:weekday] or YYYY-MM-DD> <HH:MM>-<HH:MM>' such as 'monday:friday 08:00-18:00', got {value!r}")
    if found["end"] <= found["start"]:
        raise ValueError(f"{value!r}: the end {found['end']} must be after the start {found['start']} (split a range over midnight in two)")
    interval: dict = {"times": [{"start_time": found["start"], "end_time": found["end"]}]}
    if found["weekdays"]:
        interval["weekdays"] = [found["weekdays"]]
    else:
        try:
            day = date.fromisoformat(found["date"])
        except ValueError:
            raise ValueError(f"{value!r}: {found['date']} is not a date") from None
        interval.update(years=[str(day.year)], months=[str(day.month)], days_of_month=[str(day.day)])
    return interval


def _valid_interval(value: str) -> str:
    time_interval(value)
    return value


TimeInterval = Annotated[str, AfterValidator(_valid_interval)]


class AlertingSettings(Group):
    """Who gets told what. Routing itself is data in configs/alertmanager/."""

    pagerduty_enabled: bool = True
    sms_enabled: bool = True
    sms_topic_arn: Optional[SnsTopicArn] = None
    sns_region: AwsRegion = "us-east-1"
    slack_critical_channel: SlackChannel = "#critical-alerts"
    runbook_base_url: Url = "https://runbook.example.com"
    remediation_enabled: bool = False
    remediation_webhook_url: Optional[Url] = None
    status_page_webhook_url: Optional[Url] = None
    # Which auto-remediation hooks run when remediation_enabled; each is `<remediationWebhookUrl>/<action>`.
    remediation_actions: list[RemediationAction] = Field(default_factory=lambda: list(REMEDIATION_ACTIONS))
    # Levels 2 and 3 of the escalation matrix (managers, leadership, CTO, status page). Off outside production.
    escalation_enabled: bool = True
    # The dead man's switch that expects the always-firing Watchdog (e.g. a Dead Man's Snitch / healthchecks URL).
    deadmans_switch_url: Optional[Url] = None
    # Slack channel per team label; the critical channel above is the on-call one.
    slack_team_channels: dict[DnsLabel, SlackChannel] = Field(
        default_factory=lambda: {
            "payment": "#payments-alerts",
            "wallet": "#wallet-alerts",
            "platform": "#platform-alerts",
            "operations": "#operations-alerts",
            "growth": "#growth-alerts",
            "security": "#security-alerts",
            "compliance": "#compliance-alerts",
            "sre": "#sre-alerts",
            "support": "#customer-support",
        }
    )
    timezone: Timezone = "UTC"
    """Timezone of alertingBusinessHours and alertingMaintenanceWindows."""
    business_hours: list[TimeInterval] = Field(default_factory=list)
    """When warnings are told (security's at any hour), e.g. ["monday:friday 08:00-18:00"]; unset = any hour."""
    maintenance_windows: list[TimeInterval] = Field(default_factory=list)
    """Declared maintenance windows, e.g. ["2026-12-05 02:00-04:00", "sunday 03:00-04:00"]: every non-critical notification is muted inside them."""
    email_database_team: Email = "dba-oncall@example.com"
    email_security_team: Email = "security@example.com"
    email_ciso: Email = "ciso@example.com"
    email_compliance_team: Email = "compliance@example.com"
    email_operations_team: Email = "operations@example.com"
    email_product_team: Email = "product@example.com"
    email_engineering_managers: Email = "engineering-managers@example.com"
    email_leadership: Email = "leadership@example.com"
    email_cto: Email = "cto@example.com"
    email_cfo: Email = "cfo@example.com"

    @model_validator(mode="after")
    def _needs(self):
        # (sms_enabled without sms_topic_arn is reported by render/alertmanager_config.py: the default
        # instance of this class must stay valid.)
        if self.remediation_enabled and not self.remediation_webhook_url:
            raise ValueError("alertingRemediationWebhookUrl: required when alertingRemediationEnabled is true")
        missing = {"payment", "wallet", "platform", "operations", "growth", "security", "compliance", "sre", "support"} - set(self.slack_team_channels)
        if missing:
            raise ValueError(f"alertingSlackTeamChannels: missing a channel for team(s) {sorted(missing)}")
        return self
