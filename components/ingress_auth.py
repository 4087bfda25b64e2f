"""The login check the ingress asks before every UI request: Debian's nginx as configuration.

It answers 2xx with the checked login in a header, or 401 (render/ingress_auth.py). The logins are
the htpasswd Secret of the ingress component (components/ingress.py), mounted here; nginx reads that
file on every request, so a login added or removed takes effect when the kubelet refreshes the
volume, without a restart. Only the ingress controller reaches it and it reaches nothing
(NetworkPolicy). Its image is built from ingress-auth/Dockerfile, the same Debian nginx the tests run.
"""

from __future__ import annotations

import hashlib
import json

import pulumi
import pulumi_kubernetes as k8s

from components import k8s as kube
from components.ingress import BASIC_AUTH_SECRET, HTPASSWD_KEY
from components.shape import ComponentArgs
from model.endpoints import INGRESS_AUTH
from model.settings import IngressSettings
from render.content import IngressAuthContent
from render.ingress_auth import HEALTH_PATH, HTPASSWD_FILE

NAME = INGRESS_AUTH.name
COMPONENT = "ingress"

IngressAuthArgs = ComponentArgs[IngressSettings, IngressAuthContent]


def htpasswd_volume() -> k8s.core.v1.VolumeArgs:
    return k8s.core.v1.VolumeArgs(
        name="logins",
        secret=k8s.core.v1.SecretVolumeSourceArgs(
            secret_name=BASIC_AUTH_SECRET, default_mode=0o440, items=[k8s.core.v1.KeyToPathArgs(key=HTPASSWD_KEY, path=HTPASSWD_FILE)]
        ),
    )


class IngressAuth(pulumi.ComponentResource):
    config: k8s.core.v1.ConfigMap
    service_account: k8s.core.v1.ServiceAccount
    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service

    def __init__(self, name: str, args: IngressAuthArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("waqiti:monitoring:IngressAuth", name, None, opts)
        child = kube.child(self)
        settings, namespace, files = args.settings, args.placement.namespace, args.content.config
        self.config = kube.config_map_of_files(f"{NAME}-config", COMPONENT, namespace, files, child, label_name=NAME)
        self.service_account = kube.service_account(NAME, COMPONENT, namespace, child)
        config_file = INGRESS_AUTH.path("config", "nginx.conf")
        container = kube.container(
            "nginx",
            settings.auth_image,
            # -e: the error log before the configuration is read (the compiled-in path is not writable).
            args=["-e", "stderr", "-c", config_file],
            ports=[k8s.core.v1.ContainerPortArgs(name=INGRESS_AUTH.port_name, container_port=INGRESS_AUTH.port)],
            volume_mounts=[
                kube.mount("config", INGRESS_AUTH.dirs["config"]),
                kube.mount("logins", INGRESS_AUTH.dirs["secrets"]),
                kube.mount("tmp", "/tmp", read_only=False),
            ],
            # bcrypt (cost 12) is the work: about a fifth of a CPU second per check.
            resources=kube.resources("100m", "1000m", "16Mi", "64Mi"),
            liveness_probe=kube.http_probe(HEALTH_PATH, INGRESS_AUTH.port_name),
            readiness_probe=kube.http_probe(HEALTH_PATH, INGRESS_AUTH.port_name, initial_delay=2, period=5, failure_threshold=3),
        )
        volumes = [kube.config_map_volume("config", f"{NAME}-config", files), htpasswd_volume(), kube.empty_dir("tmp", "64Mi")]
        # nginx reads its configuration at start only: its digest on the pod template rolls the pods.
        digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]
        self.deployment = k8s.apps.v1.Deployment(
            NAME,
            metadata=kube.metadata(NAME, COMPONENT, namespace, annotations=kube.skip_checks(**kube.unless_digest_pinned(settings.auth_image))),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=settings.auth_replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector(NAME)),
                template=kube.pod_template(NAME, COMPONENT, [container], volumes, NAME, spread=True, annotations={"waqiti.io/config-digest": digest}),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.config, self.service_account]),
        )
        self.service = kube.service(NAME, COMPONENT, namespace, [kube.port(INGRESS_AUTH.port_name, INGRESS_AUTH.port)], child)
        self.disruption_budget = kube.pod_disruption_budget(NAME, COMPONENT, namespace, settings.auth_replicas, child)
        self.register_outputs({})
