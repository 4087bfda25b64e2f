"""The nginx Ingress in front of the three UIs."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import BeforeValidator, Field, model_validator

from model.settings.types import DnsLabel, DnsName, Group, Image, Login, Replicas


MAX_USERS = 200
# A list (Pulumi.yaml declares an array: `pulumi config set --path 'ingressBasicAuthUsers[0]' alice`); a
# comma-separated string is read as the list it spells.
Logins = Annotated[list[Login], BeforeValidator(lambda value: [item.strip() for item in value.split(",")] if isinstance(value, str) else value)]


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
    """The one shared login when ingressBasicAuthUsers is empty; password ingressBasicAuthPassword or generated."""
    basic_auth_users: Logins = Field(default_factory=list, max_length=MAX_USERS)
    """One login per person in front of all three UIs (Grafana signs each in by this name); passwords in the secret ingressBasicAuthPasswords or generated. Empty: ingressBasicAuthUser alone."""
    auth_image: Image = "ghcr.io/waqiti/ingress-auth:0.1.0"
    """Image of the login check the ingress asks (built from ingress-auth/: Debian's nginx), pinned to a version."""
    auth_replicas: Replicas = 2
    """Replicas of the login check (every UI request waits for it)."""
    controller_namespace: DnsLabel = "ingress-nginx"
    """Namespace of the ingress controller (allowed in by NetworkPolicy)."""

    @model_validator(mode="after")
    def _tls(self):
        if self.tls_mode == "secret" and not self.tls_secret_name:
            raise ValueError("ingressTlsSecretName: required when ingressTlsMode is 'secret'")
        return self

    @model_validator(mode="after")
    def _unique_users(self):
        if len(set(self.basic_auth_users)) != len(self.basic_auth_users):
            raise ValueError("ingressBasicAuthUsers: a login is listed twice; expected each person once")
        return self

    @property
    def users(self) -> tuple[str, ...]:
        """Everyone who may log in at the ingress: the one list the htpasswd, the outputs and the
        passwords are made from."""
        return tuple(self.basic_auth_users) or (self.basic_auth_user,)
