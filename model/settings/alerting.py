"""Alerting: who gets told what. Routing itself is data in configs/alertmanager/."""

from __future__ import annotations

from typing import Literal, Optional, get_args

from pydantic import Field, model_validator

from model.settings.types import AwsRegion, DnsLabel, Email, Group, SlackChannel, SnsTopicArn, Url

# The auto-remediation hooks there are; each is `<remediationWebhookUrl>/<action>`.
RemediationAction = Literal["freeze-wallets", "replace-node", "scale-db-replicas"]
REMEDIATION_ACTIONS: tuple[str, ...] = get_args(RemediationAction)


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
