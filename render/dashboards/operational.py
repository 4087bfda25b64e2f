"""Operational dashboards: Payment Service, Wallet Service (operational_services.py), Infrastructure (infrastructure.py)."""

from __future__ import annotations

from render.dashboards.infrastructure import infrastructure
from render.dashboards.operational_common import FOLDER
from render.dashboards.operational_services import payment_service, wallet_service

__all__ = ["DASHBOARDS", "FOLDER"]

DASHBOARDS = (payment_service, wallet_service, infrastructure)
