"""The mail relay of Alertmanager, Grafana and the reports."""

from __future__ import annotations

from model.settings.types import Email, Group, HostPort, User


class SmtpSettings(Group):
    smarthost: HostPort = "smtp.example.com:587"
    """Mail relay host:port for Alertmanager, Grafana and the reports."""
    sender: Email = "monitoring@example.com"
    """From address of every mail the stack sends."""
    username: User = "monitoring@example.com"
    """SMTP user; its password is the secret smtpPassword."""
    require_tls: bool = True
    """Refuse to send mail without STARTTLS."""
