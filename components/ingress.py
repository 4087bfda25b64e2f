"""nginx Ingresses for Grafana, Prometheus and Alertmanager: TLS, a login per person, no lifecycle endpoints.

Prometheus and Alertmanager have no login of their own, so the ingress checks one before all three
UIs: it asks the login check (components/ingress_auth.py, `auth-url`) with the request's
Authorization header, and passes on the checked login in INGRESS_USER_HEADER, from which Grafana
signs the person in (render/grafana_provisioning.py). ingress-nginx's own basic auth cannot name
the user to the upstream without configuration snippets (disabled on current controllers).
The ingress replaces any copy of that header the client sent.

Their lifecycle (`/-/reload`, `/-/quit`), admin APIs and profiling endpoints (`/debug/pprof/*`:
heap and goroutine dumps) stay reachable inside the namespace only: the Ingress routes those paths
to a Service without endpoints, which nginx answers with 503, without relying on nginx snippets.

This component owns the logins: one password per configured login (the secret
ingressBasicAuthPasswords, or pulumi-random) and the htpasswd Secret of exactly those logins, which
the login check mounts. Each htpasswd salt is a pulumi-random value kept in the stack state: stable
across `pulumi up` (no diff while the password is unchanged), and never derived from the password (a
salt computed from user and password is itself a fast oracle for the password).
"""

from __future__ import annotations

from dataclasses import dataclass

import bcrypt
import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components import k8s as kube
from components.passwords import configured_or_generated
from components.shape import ComponentArgs
from model.endpoints import ALERTMANAGER, GRAFANA, INGRESS_AUTH, INGRESS_AUTH_PATH, INGRESS_USER_HEADER, PROMETHEUS, Server
from model.settings import Settings
from model.settings.load import LOGIN_PASSWORD
from model.urls import public_url

COMPONENT = "ingress"
BASIC_AUTH_SECRET = "ingress-basic-auth"
HTPASSWD_KEY = "auth"  # the file of BASIC_AUTH_SECRET
BLACKHOLE = "ingress-blackhole"
_BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

# The whole settings: the ingress group and the host of each UI.
IngressArgs = ComponentArgs[Settings, None]


@dataclass(frozen=True)
class Route:
    host: str
    service: str
    port: int
    blocked_paths: tuple[str, ...] = ()


def _route(host: str, server: Server, blocked_paths: tuple[str, ...] = ()) -> Route:
    return Route(host, server.name, server.port, blocked_paths)


def routes(settings: Settings) -> dict[str, Route]:
    return {
        "grafana": _route(settings.grafana.host, GRAFANA, ("/debug/",)),
        "prometheus": _route(settings.prometheus.host, PROMETHEUS, ("/-/", "/api/v1/admin/", "/debug/")),
        "alertmanager": _route(settings.alertmanager.host, ALERTMANAGER, ("/-/", "/debug/")),
    }


SALT_LENGTH = 22


def htpasswd_line(user: str, password: str, salt: str) -> str:
    """An htpasswd entry: bcrypt (cost 12) of the password with a salt of 22 characters of bcrypt's
    alphabet, which the caller keeps stable (pulumi-random state)."""
    if ":" in user or not user.isprintable():
        raise ValueError("an htpasswd login must be one line without ':'")
    if len(salt) != SALT_LENGTH or any(c not in _BCRYPT_ALPHABET for c in salt):
        raise ValueError("the htpasswd salt must be 22 characters of bcrypt's alphabet")
    # The 22nd salt character carries only 2 bits; bcrypt wants it from ".Oeu".
    salt = f"$2b$12${salt[:21]}{'.Oeu'[_BCRYPT_ALPHABET.index(salt[21]) % 4]}"
    return f"{user}:{bcrypt.hashpw(password.encode(), salt.encode()).decode()}"


def htpasswd_salt(name: str, user: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    """A random salt kept in the stack state, replaced only when the user changes."""
    salt = random.RandomString(
        name, length=SALT_LENGTH, special=True, override_special="./", upper=True, lower=True, numeric=True,
        keepers={"user": user}, opts=pulumi.ResourceOptions(parent=parent))
    return pulumi.Output.secret(salt.result)


def htpasswd(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def login_annotations(settings: Settings) -> dict[str, str]:
    """Every UI request waits for the login check's answer; its checked login goes on to the UI."""
    return {
        "nginx.ingress.kubernetes.io/auth-url": INGRESS_AUTH.cluster_url(settings.namespace, settings.network.cluster_domain, INGRESS_AUTH_PATH),
        "nginx.ingress.kubernetes.io/auth-method": "GET",
        "nginx.ingress.kubernetes.io/auth-response-headers": INGRESS_USER_HEADER,
    }


class MonitoringIngress(pulumi.ComponentResource):
    basic_auth: k8s.core.v1.Secret
    blackhole: k8s.core.v1.Service
    ingresses: dict[str, k8s.networking.v1.Ingress]
    urls: dict[str, pulumi.Output[str]]
    passwords: dict[str, pulumi.Output[str]]  # login -> password, in the order of the settings

    def __init__(self, name: str, args: IngressArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("waqiti:monitoring:Ingress", name, None, opts)
        child = kube.child(self)
        settings, namespace = args.settings, args.placement.namespace
        ingress = settings.ingress
        self.passwords = self._passwords(args, opts.parent if opts else None)
        lines = [pulumi.Output.all(self.passwords[user], self._salt(settings, user)).apply(lambda values, user=user: htpasswd_line(user, *values))
                 for user in ingress.users]
        auth = pulumi.Output.secret(pulumi.Output.all(*lines).apply(htpasswd))
        self.basic_auth = kube.secret(BASIC_AUTH_SECRET, COMPONENT, namespace, {HTPASSWD_KEY: auth}, child)
        self.blackhole = k8s.core.v1.Service(
            BLACKHOLE,
            metadata=kube.metadata(BLACKHOLE, COMPONENT, namespace),
            # No selector and no endpoints: whatever is routed here gets 503 from nginx.
            spec=k8s.core.v1.ServiceSpecArgs(ports=[k8s.core.v1.ServicePortArgs(name="http", port=80)]),
            opts=child,
        )
        annotations = login_annotations(settings)
        annotations["nginx.ingress.kubernetes.io/proxy-body-size"] = "8m"
        if ingress.tls_mode != "none":
            annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] = "true"
        if ingress.tls_mode == "cert-manager":
            annotations["cert-manager.io/cluster-issuer"] = ingress.cluster_issuer

        self.ingresses, self.urls = {}, {}
        for target, route in routes(settings).items():
            paths = [self._path(path, BLACKHOLE, 80) for path in route.blocked_paths] + [self._path("/", route.service, route.port)]
            tls = None
            if ingress.tls_mode != "none":
                secret_name = ingress.tls_secret_name if ingress.tls_mode == "secret" else f"{target}-tls"
                tls = [k8s.networking.v1.IngressTLSArgs(hosts=[route.host], secret_name=secret_name)]
            self.ingresses[target] = k8s.networking.v1.Ingress(
                target,
                metadata=kube.metadata(target, COMPONENT, namespace, annotations=annotations, label_name=target),
                spec=k8s.networking.v1.IngressSpecArgs(
                    ingress_class_name=ingress.class_name,
                    tls=tls,
                    rules=[k8s.networking.v1.IngressRuleArgs(host=route.host, http=k8s.networking.v1.HTTPIngressRuleValueArgs(paths=paths))],
                ),
                opts=child,
            )
            self.urls[target] = pulumi.Output.from_input(public_url(settings, route.host))
        self.register_outputs({f"{target}_url": url for target, url in self.urls.items()})

    def _passwords(self, args: IngressArgs, former_parent: pulumi.Resource | None) -> dict[str, pulumi.Output[str]]:
        """Each login's configured password, else a generated one. The one shared login of before
        keeps its resource name and its secret key, so an existing stack keeps its password."""
        ingress, secrets = args.settings.ingress, args.secrets
        passwords = {}
        for user in ingress.users:
            legacy = user == ingress.basic_auth_user
            configured = secrets.get(LOGIN_PASSWORD + user) or (secrets.get("ingressBasicAuthPassword") if legacy else None)
            name = "ingress-basic-auth-password" if legacy else f"ingress-basic-auth-password-{user}"
            passwords[user] = configured_or_generated(name, configured, parent=self, former_parent=former_parent)
        return passwords

    def _salt(self, settings: Settings, user: str) -> pulumi.Output[str]:
        legacy = user == settings.ingress.basic_auth_user
        return htpasswd_salt(f"{BASIC_AUTH_SECRET}-salt" if legacy else f"{BASIC_AUTH_SECRET}-salt-{user}", user, self)

    @staticmethod
    def _path(path: str, service: str, port: int) -> k8s.networking.v1.HTTPIngressPathArgs:
        return k8s.networking.v1.HTTPIngressPathArgs(
            path=path,
            path_type="Prefix",
            backend=k8s.networking.v1.IngressBackendArgs(
                service=k8s.networking.v1.IngressServiceBackendArgs(name=service, port=k8s.networking.v1.ServiceBackendPortArgs(number=port))
            ),
        )
