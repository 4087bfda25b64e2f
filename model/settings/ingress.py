"""The nginx Ingress in front of the three UIs."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import model_validator

from model.settings.types import DnsLabel, DnsName, Group, Login


class IngressSettings(Group):
    class_name: DnsName = "nginx"
    """IngressClass of the nginx ingress controller."""
    tls_mode: Literal["cert-manager", "secret", "none"] = "cert-manager"
    """cert-manager (issue certificates), secret (an existing TLS Secret) or none (dev only)."""
    cluster_issuer: DnsName = "letsencrypt-prod"
    """cert-manager ClusterIssuer when ingressTlsMode is cert-manager."""
    tls_secret_name: Optional[DnsLabel] = None
    """Existing TLS Secret when ingressTlsMode is secret."""
    basic_auth_user: Login = "sre"
    """Basic-auth user in front of all three UIs; password ingressBasicAuthPassword or generated."""
    controller_namespace: DnsLabel = "ingress-nginx"
    """Namespace of the ingress controller (allowed in by NetworkPolicy)."""

    @model_validator(mode="after")
    def _tls(self):
        if self.tls_mode == "secret" and not self.tls_secret_name:
            raise ValueError("ingressTlsSecretName: required when ingressTlsMode is 'secret'")
        return self
