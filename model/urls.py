"""Public URLs of the stack, built in one place: the scheme the Ingress serves and the runbook pages."""

from __future__ import annotations

from model.settings import Settings


def scheme(settings: Settings) -> str:
    return "http" if settings.ingress.tls_mode == "none" else "https"


def public_url(settings: Settings, host: str) -> str:
    """A UI behind the Ingress, as a browser reaches it."""
    return f"{scheme(settings)}://{host}"


def runbook_url(settings: Settings, alert: str) -> str:
    """The page of an alert under alertingRunbookBaseUrl (pages in docs/runbooks/)."""
    return f"{settings.alerting.runbook_base_url.rstrip('/')}/{alert}.md"
