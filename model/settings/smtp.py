"""The mail relay of Alertmanager, Grafana and the reports."""

from __future__ import annotations

from pydantic import model_validator

from model.settings.types import Email, Group


class SmtpSettings(Group):
    smarthost: str = "smtp.example.com:587"
    """Mail relay host:port for Alertmanager, Grafana and the reports."""
    sender: Email = "monitoring@example.com"
    """From address of every mail the stack sends."""
    username: str = "monitoring@example.com"
    """SMTP user; its password is the secret smtpPassword."""
    require_tls: bool = True
    """Refuse to send mail without STARTTLS."""

    @model_validator(mode="after")
    def _host_port(self):
        host, _, port = self.smarthost.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"smtpSmarthost: expected host:port such as smtp.example.com:587, got {self.smarthost!r}")
        return self
