"""The sidecar that reloads Prometheus and Alertmanager."""

from __future__ import annotations

from model.settings.types import Group, Image


class ConfigReloaderSettings(Group):
    image: Image = "ghcr.io/jimmidyson/configmap-reload:v0.14.0"
    """Sidecar that reloads Prometheus and Alertmanager when their ConfigMaps change."""
