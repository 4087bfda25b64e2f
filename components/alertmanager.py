"""Alertmanager: a cluster of peers over a headless Service, routes reloaded in place.

Every credential (Slack webhook URL, PagerDuty key, SMTP password, remediation token) lives in one
Secret mounted as files; alertmanager.yml names those files (`*_file` fields), never the values.
SNS keys come from the same Secret as an AWS shared-credentials file, or from the pod's IAM role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from components import k8s as kube
from model.endpoints import ALERTMANAGER, ALERTMANAGER_CLUSTER_PORT as CLUSTER_PORT, CONFIG_RELOADER_PORT
from model.settings import AlertmanagerSettings

NAME = ALERTMANAGER.name
COMPONENT = "alertmanager"
HEADLESS = ALERTMANAGER.headless
WEB_PORT = ALERTMANAGER.port
CONFIG_DIR, TEMPLATES_DIR, SECRETS_DIR, DATA_DIR = (ALERTMANAGER.dirs[role] for role in ("config", "templates", "secrets", "data"))
AWS_CREDENTIALS = "aws-credentials"


@dataclass
class AlertmanagerArgs:
    settings: AlertmanagerSettings
    namespace: str
    config_reloader_image: str
    files: dict[str, str]  # alertmanager.yml and templates/*.tmpl
    secret_files: dict[str, pulumi.Output[str]]  # file name under SECRETS_DIR -> value
    sns_credentials_file: Optional[pulumi.Output[str]] = None  # an AWS shared-credentials file for SNS
    storage_class: Optional[str] = None


def peer_addresses(namespace: str, replicas: int) -> list[str]:
    return [ALERTMANAGER.pod_address(index, namespace, CLUSTER_PORT) for index in range(replicas)]


class Alertmanager(pulumi.ComponentResource):
    config: k8s.core.v1.ConfigMap
    secrets: k8s.core.v1.Secret
    statefulset: k8s.apps.v1.StatefulSet
    headless_service: k8s.core.v1.Service
    service: k8s.core.v1.Service
    service_account: k8s.core.v1.ServiceAccount
    disruption_budget: Optional[k8s.policy.v1.PodDisruptionBudget]
    url: pulumi.Output[str]

    def __init__(self, name: str, args: AlertmanagerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("waqiti:monitoring:Alertmanager", name, None, opts)
        child = kube.child(self)
        settings = args.settings
        config_files = {path: text for path, text in args.files.items() if not path.startswith("templates/")}
        template_files = {path.removeprefix("templates/"): text for path, text in args.files.items() if path.startswith("templates/")}
        self.config = kube.config_map_of_files(f"{NAME}-config", COMPONENT, args.namespace, args.files, child, label_name=NAME)
        secret_files = dict(args.secret_files)
        if args.sns_credentials_file is not None:
            secret_files[AWS_CREDENTIALS] = args.sns_credentials_file
        self.secrets = kube.secret(f"{NAME}-secrets", COMPONENT, args.namespace, secret_files, child, label_name=NAME)
        self.service_account = kube.service_account(NAME, COMPONENT, args.namespace, child)

        clustered = settings.replicas > 1
        cluster_args = (
            [f"--cluster.listen-address=:{CLUSTER_PORT}", f"--cluster.advertise-address=$(POD_IP):{CLUSTER_PORT}"]
            + [f"--cluster.peer={peer}" for peer in peer_addresses(args.namespace, settings.replicas)]
            if clustered
            else ["--cluster.listen-address="]  # a single instance gossips with nobody
        )
        env = [kube.env_from_field("POD_IP", "status.podIP")]
        if args.sns_credentials_file:
            # SNS signs with AWS keys that Alertmanager reads through the AWS SDK: from a credentials
            # file in the mounted Secret here, else from the pod's IAM role.
            env.append(k8s.core.v1.EnvVarArgs(name="AWS_SHARED_CREDENTIALS_FILE", value=f"{SECRETS_DIR}/{AWS_CREDENTIALS}"))
        ports = [k8s.core.v1.ContainerPortArgs(name=ALERTMANAGER.port_name, container_port=WEB_PORT)]
        if clustered:
            ports += [
                k8s.core.v1.ContainerPortArgs(name="mesh-tcp", container_port=CLUSTER_PORT, protocol="TCP"),
                k8s.core.v1.ContainerPortArgs(name="mesh-udp", container_port=CLUSTER_PORT, protocol="UDP"),
            ]
        alertmanager = kube.container(
            "alertmanager",
            settings.image,
            args=[
                f"--config.file={CONFIG_DIR}/alertmanager.yml",
                f"--storage.path={DATA_DIR}",
                f"--web.listen-address=:{WEB_PORT}",
                f"--web.external-url=https://{settings.host}/",
                "--web.route-prefix=/",
                "--data.retention=120h",
            ]
            + cluster_args,
            env=env,
            ports=ports,
            volume_mounts=[
                kube.mount("config", CONFIG_DIR),
                kube.mount("templates", TEMPLATES_DIR),
                kube.mount("secrets", SECRETS_DIR),
                kube.mount("data", DATA_DIR, read_only=False),
            ],
            resources=kube.resources_of(settings),
            liveness_probe=kube.http_probe("/-/healthy", ALERTMANAGER.port_name),
            readiness_probe=kube.http_probe("/-/ready", ALERTMANAGER.port_name, initial_delay=3, period=5, failure_threshold=3),
        )
        reloader = kube.config_reloader(
            args.config_reloader_image,
            {"config": CONFIG_DIR, "templates": TEMPLATES_DIR},
            f"http://127.0.0.1:{WEB_PORT}/-/reload",
            CONFIG_RELOADER_PORT,
        )
        volumes = [
            kube.config_map_volume("config", f"{NAME}-config", config_files),
            k8s.core.v1.VolumeArgs(
                name="templates",
                config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(
                    name=f"{NAME}-config",
                    items=[k8s.core.v1.KeyToPathArgs(key=kube.FileSet.key(f"templates/{path}"), path=path) for path in sorted(template_files)],
                ),
            ),
            kube.secret_volume("secrets", f"{NAME}-secrets", sorted(secret_files)),
        ]
        web = [kube.port(ALERTMANAGER.port_name, WEB_PORT)]
        mesh = [kube.port("mesh-tcp", CLUSTER_PORT), kube.port("mesh-udp", CLUSTER_PORT, "UDP")] if clustered else []
        # Peers must find each other before they are ready: gossip is how they become ready.
        self.headless_service = kube.service(HEADLESS, COMPONENT, args.namespace, web + mesh, child, selects=NAME, headless=True, publish_not_ready=True)
        self.service = kube.service(NAME, COMPONENT, args.namespace, web, child)
        self.statefulset = k8s.apps.v1.StatefulSet(
            NAME,
            metadata=kube.metadata(NAME, COMPONENT, args.namespace, annotations=kube.skip_checks(**kube.unless_digest_pinned(settings.image, args.config_reloader_image))),
            spec=k8s.apps.v1.StatefulSetSpecArgs(
                replicas=settings.replicas,
                service_name=HEADLESS,
                pod_management_policy="Parallel",
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector(NAME)),
                template=kube.pod_template(NAME, COMPONENT, [alertmanager, reloader], volumes, NAME, spread=True),
                volume_claim_templates=[kube.volume_claim_template(COMPONENT, NAME, settings.storage_size, args.storage_class)],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.config, self.secrets]),
        )
        self.disruption_budget = kube.pod_disruption_budget(NAME, COMPONENT, args.namespace, settings.replicas, child)
        self.url = pulumi.Output.concat("https://", settings.host)
        self.register_outputs({"url": self.url})
