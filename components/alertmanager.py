"""Alertmanager: a cluster of peers over a headless Service, routes reloaded in place.

Every credential (Slack webhook URL, PagerDuty key, SMTP password, remediation token) lives in one
Secret mounted as files; alertmanager.yml names those files (`*_file` fields), never the values.
SNS keys come from the same Secret as an AWS shared-credentials file, or from the pod's IAM role.
"""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from components import k8s as kube
from components.shape import ComponentArgs
from model.endpoints import ALERTMANAGER, ALERTMANAGER_CLUSTER_PORT as CLUSTER_PORT, CONFIG_RELOADER_PORT
from model.settings import AlertmanagerSettings
from render.content import AlertmanagerContent

NAME = ALERTMANAGER.name
COMPONENT = "alertmanager"
HEADLESS = ALERTMANAGER.headless
WEB_PORT = ALERTMANAGER.port
CONFIG_DIR, TEMPLATES_DIR, SECRETS_DIR, DATA_DIR = (ALERTMANAGER.dirs[role] for role in ("config", "templates", "secrets", "data"))
AWS_CREDENTIALS = "aws-credentials"

AlertmanagerArgs = ComponentArgs[AlertmanagerSettings, AlertmanagerContent]


def peer_addresses(namespace: str, replicas: int) -> list[str]:
    return [ALERTMANAGER.pod_address(index, namespace, CLUSTER_PORT) for index in range(replicas)]


def aws_credentials_file(secrets) -> Optional[pulumi.Output[str]]:
    """An AWS shared-credentials file for SNS from the two key secrets; None to use the pod's role."""
    if "snsAccessKeyId" not in secrets:
        return None
    return pulumi.Output.format(
        "[default]\naws_access_key_id = {0}\naws_secret_access_key = {1}\n", secrets["snsAccessKeyId"], secrets["snsSecretAccessKey"]
    )


def secret_files(content: AlertmanagerContent, secrets) -> dict[str, pulumi.Output[str]]:
    """File of the Secret -> value: those alertmanager.yml names that the stack sets, and the SNS credentials."""
    files = {file: secrets[key] for file, key in content.secret_files.items() if key in secrets}
    credentials = aws_credentials_file(secrets)
    if credentials is not None:
        files[AWS_CREDENTIALS] = credentials
    return files


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
        self.args, self.namespace, child = args, args.placement.namespace, kube.child(self)
        self.clustered = args.settings.replicas > 1
        self.secret_files = secret_files(args.content, args.secrets)
        self.config = kube.config_map_of_files(f"{NAME}-config", COMPONENT, self.namespace, args.content.files, child, label_name=NAME)
        self.secrets = kube.secret(f"{NAME}-secrets", COMPONENT, self.namespace, self.secret_files, child, label_name=NAME)
        self.service_account = kube.service_account(NAME, COMPONENT, self.namespace, child)
        self._services(child)
        self.statefulset = self._statefulset()
        self.disruption_budget = kube.pod_disruption_budget(NAME, COMPONENT, self.namespace, args.settings.replicas, child)
        self.url = pulumi.Output.concat("https://", args.settings.host)
        self.register_outputs({"url": self.url})

    def _services(self, child: pulumi.ResourceOptions) -> None:
        web = [kube.port(ALERTMANAGER.port_name, WEB_PORT)]
        mesh = [kube.port("mesh-tcp", CLUSTER_PORT), kube.port("mesh-udp", CLUSTER_PORT, "UDP")] if self.clustered else []
        # Peers must find each other before they are ready: gossip is how they become ready.
        self.headless_service = kube.service(HEADLESS, COMPONENT, self.namespace, web + mesh, child, selects=NAME, headless=True, publish_not_ready=True)
        self.service = kube.service(NAME, COMPONENT, self.namespace, web, child)

    def _cluster_args(self) -> list[str]:
        if not self.clustered:
            return ["--cluster.listen-address="]  # a single instance gossips with nobody
        return [f"--cluster.listen-address=:{CLUSTER_PORT}", f"--cluster.advertise-address=$(POD_IP):{CLUSTER_PORT}"] + [
            f"--cluster.peer={peer}" for peer in peer_addresses(self.namespace, self.args.settings.replicas)
        ]

    def _ports(self) -> list[k8s.core.v1.ContainerPortArgs]:
        ports = [k8s.core.v1.ContainerPortArgs(name=ALERTMANAGER.port_name, container_port=WEB_PORT)]
        if self.clustered:
            ports += [
                k8s.core.v1.ContainerPortArgs(name="mesh-tcp", container_port=CLUSTER_PORT, protocol="TCP"),
                k8s.core.v1.ContainerPortArgs(name="mesh-udp", container_port=CLUSTER_PORT, protocol="UDP"),
            ]
        return ports

    def _container(self) -> k8s.core.v1.ContainerArgs:
        settings = self.args.settings
        env = [kube.env_from_field("POD_IP", "status.podIP")]
        if AWS_CREDENTIALS in self.secret_files:
            # SNS signs with AWS keys that Alertmanager reads through the AWS SDK: from a credentials
            # file in the mounted Secret here, else from the pod's IAM role.
            env.append(k8s.core.v1.EnvVarArgs(name="AWS_SHARED_CREDENTIALS_FILE", value=f"{SECRETS_DIR}/{AWS_CREDENTIALS}"))
        return kube.container(
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
            + self._cluster_args(),
            env=env,
            ports=self._ports(),
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

    def _volumes(self) -> list[k8s.core.v1.VolumeArgs]:
        files = self.args.content.files
        config_files = {path: text for path, text in files.items() if not path.startswith("templates/")}
        templates = sorted(path.removeprefix("templates/") for path in files if path.startswith("templates/"))
        return [
            kube.config_map_volume("config", f"{NAME}-config", config_files),
            k8s.core.v1.VolumeArgs(
                name="templates",
                config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(
                    name=f"{NAME}-config",
                    items=[k8s.core.v1.KeyToPathArgs(key=kube.FileSet.key(f"templates/{path}"), path=path) for path in templates],
                ),
            ),
            kube.secret_volume("secrets", f"{NAME}-secrets", sorted(self.secret_files)),
        ]

    def _statefulset(self) -> k8s.apps.v1.StatefulSet:
        settings, placement = self.args.settings, self.args.placement
        reloader = kube.config_reloader(
            placement.config_reloader_image, {"config": CONFIG_DIR, "templates": TEMPLATES_DIR}, f"http://127.0.0.1:{WEB_PORT}/-/reload", CONFIG_RELOADER_PORT
        )
        return k8s.apps.v1.StatefulSet(
            NAME,
            metadata=kube.metadata(NAME, COMPONENT, self.namespace, annotations=kube.skip_checks(**kube.unless_digest_pinned(settings.image, placement.config_reloader_image))),
            spec=k8s.apps.v1.StatefulSetSpecArgs(
                replicas=settings.replicas,
                service_name=HEADLESS,
                pod_management_policy="Parallel",
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector(NAME)),
                template=kube.pod_template(NAME, COMPONENT, [self._container(), reloader], self._volumes(), NAME, spread=True),
                volume_claim_templates=[kube.volume_claim_template(COMPONENT, NAME, settings.storage_size, placement.storage_class)],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.config, self.secrets, self.service_account]),
        )
