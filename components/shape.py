"""The one shape every component is built from: its settings group, its content, the stack's secrets.

Each component picks the secrets it uses out of `secrets` (config key -> secret Output) and builds
its own Secret from them; the composer (stack.py) only wires.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Mapping, Optional, TypeVar

import pulumi

S = TypeVar("S")
C = TypeVar("C")


@dataclass(frozen=True)
class Placement:
    """Where and with what every component runs: top-level settings shared by all of them."""

    namespace: str
    storage_class: Optional[str] = None
    config_reloader_image: Optional[str] = None
    # Debian's nginx (ingress-auth/Dockerfile, ingressAuthImage): the login check and Prometheus's gate.
    nginx_image: Optional[str] = None


@dataclass(frozen=True)
class ComponentArgs(Generic[S, C]):
    settings: S  # the component's own settings group
    content: C  # its files, rendered in render/content.py (None for a component without files)
    placement: Placement
    secrets: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)  # the stack's secrets by config key
