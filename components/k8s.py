"""The one way this project writes the recurring parts of Kubernetes objects.

Labels, metadata, the restricted security context, probes, resources, service accounts, ConfigMaps
of files and PodDisruptionBudgets are built here, so every component gets them the same way.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

PART_OF = "waqiti-monitoring"

# Every pod runs as this non-root user unless its image needs another fixed one (documented there).
NOBODY = 65534


def labels(name: str, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
    }


def selector(name: str) -> dict[str, str]:
    """The labels a Service, PDB or NetworkPolicy selects a workload's pods by: stable across versions."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": PART_OF}


def metadata(
    name: str,
    component: str,
    namespace: Optional[pulumi.Input[str]] = None,
    annotations: Optional[dict[str, str]] = None,
    extra_labels: Optional[dict[str, str]] = None,
    label_name: Optional[str] = None,
) -> k8s.meta.v1.ObjectMetaArgs:
    """Metadata with an explicit, stable name; `label_name` when the object belongs to another workload."""
    return k8s.meta.v1.ObjectMetaArgs(
        name=name,
        namespace=namespace,
        labels={**labels(label_name or name, component), **(extra_labels or {})},
        annotations=annotations,
    )


def pod_security_context(user: int = NOBODY) -> k8s.core.v1.PodSecurityContextArgs:
    return k8s.core.v1.PodSecurityContextArgs(
        run_as_non_root=True,
        run_as_user=user,
        run_as_group=user,
        fs_group=user,
        fs_group_change_policy="OnRootMismatch",
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def container_security_context(user: int = NOBODY) -> k8s.core.v1.SecurityContextArgs:
    return k8s.core.v1.SecurityContextArgs(
        run_as_non_root=True,
        run_as_user=user,
        run_as_group=user,
        allow_privilege_escalation=False,
        read_only_root_filesystem=True,
        privileged=False,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def container(name: str, image: str, **fields) -> k8s.core.v1.ContainerArgs:
    """A container with the restricted security context every container here runs with.

    The image is pulled on every start (a pinned tag re-pushed upstream cannot go unnoticed).
    """
    return k8s.core.v1.ContainerArgs(
        name=name,
        image=image,
        image_pull_policy="Always",
        security_context=container_security_context(),
        **fields,
    )


def env_from_secret(name: str, secret_name: str, key: str) -> k8s.core.v1.EnvVarArgs:
    return k8s.core.v1.EnvVarArgs(
        name=name, value_from=k8s.core.v1.EnvVarSourceArgs(secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(name=secret_name, key=key))
    )


def env_from_field(name: str, field_path: str) -> k8s.core.v1.EnvVarArgs:
    return k8s.core.v1.EnvVarArgs(
        name=name, value_from=k8s.core.v1.EnvVarSourceArgs(field_ref=k8s.core.v1.ObjectFieldSelectorArgs(field_path=field_path))
    )


def skip_checks(**reasons: str) -> dict[str, str]:
    """checkov skip annotations, each with its written reason: `skip_checks(CKV_K8S_38="...")`; None when none."""
    return {f"checkov.io/skip{index}": f"{check}={reason}" for index, (check, reason) in enumerate(sorted(reasons.items()), start=1)} or None


PINNED_BY_TAG = (
    "an image is pinned to a release tag only (no digest could be resolved where the program is rendered);"
    " set tag@sha256:digest in its *Image setting and this skip goes away"
)


def digest_of(*contents) -> str:
    """A short digest of files a server reads at start only: on the pod template, a change rolls the pods."""
    return hashlib.sha256(json.dumps(list(contents), sort_keys=True).encode()).hexdigest()[:16]


def unless_digest_pinned(*images: str) -> dict[str, str]:
    """The CKV_K8S_43 (image by digest) skip, for skip_checks, while any of a workload's images lacks a digest."""
    return {} if all("@sha256:" in image for image in images) else {"CKV_K8S_43": PINNED_BY_TAG}


def resources(cpu_request: str, cpu_limit: str, memory_request: str, memory_limit: str) -> k8s.core.v1.ResourceRequirementsArgs:
    return k8s.core.v1.ResourceRequirementsArgs(
        requests={"cpu": cpu_request, "memory": memory_request},
        limits={"cpu": cpu_limit, "memory": memory_limit},
    )


def resources_of(group) -> k8s.core.v1.ResourceRequirementsArgs:
    """Resources from a settings group that has cpu_request, cpu_limit, memory_request, memory_limit."""
    return resources(group.cpu_request, group.cpu_limit, group.memory_request, group.memory_limit)


def http_probe(path: str, port: int | str, initial_delay: int = 10, period: int = 10, failure_threshold: int = 6) -> k8s.core.v1.ProbeArgs:
    return k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path=path, port=port),
        initial_delay_seconds=initial_delay,
        period_seconds=period,
        timeout_seconds=5,
        failure_threshold=failure_threshold,
    )


def service_account(
    name: str,
    component: str,
    namespace: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    automount: bool = False,
    annotations: Optional[dict[str, str]] = None,
) -> k8s.core.v1.ServiceAccount:
    """A workload's own identity. Its API token is mounted only where the workload talks to the API server.

    `annotations` bind it to a cloud identity (e.g. IRSA's eks.amazonaws.com/role-arn).
    """
    return k8s.core.v1.ServiceAccount(
        name,
        metadata=metadata(name, component, namespace, annotations=annotations),
        automount_service_account_token=automount,
        opts=opts,
    )


@dataclass(frozen=True)
class FileSet:
    """Files to mount from one ConfigMap or Secret; keys may contain '/' (mounted as sub-directories)."""

    files: dict[str, str]

    @staticmethod
    def key(path: str) -> str:
        # ConfigMap keys cannot contain '/', so a nested file gets a flat key and its path back on mount.
        return path.replace("/", "__")

    def data(self) -> dict[str, str]:
        return {self.key(path): content for path, content in sorted(self.files.items())}

    def items(self) -> list[k8s.core.v1.KeyToPathArgs]:
        return [k8s.core.v1.KeyToPathArgs(key=self.key(path), path=path) for path in sorted(self.files)]


def config_map_of_files(
    name: str,
    component: str,
    namespace: pulumi.Input[str],
    files: dict[str, str],
    opts: pulumi.ResourceOptions,
    label_name: Optional[str] = None,
) -> k8s.core.v1.ConfigMap:
    """A ConfigMap holding rendered configuration files. Never give it a secret."""
    return k8s.core.v1.ConfigMap(
        name,
        metadata=metadata(name, component, namespace, label_name=label_name),
        data=FileSet(files).data(),
        opts=opts,
    )


def config_map_volume(volume_name: str, config_map_name: str, files: dict[str, str]) -> k8s.core.v1.VolumeArgs:
    return k8s.core.v1.VolumeArgs(
        name=volume_name,
        config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=config_map_name, items=FileSet(files).items()),
    )


def secret(
    name: str,
    component: str,
    namespace: pulumi.Input[str],
    values: dict[str, pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
    label_name: Optional[str] = None,
    secret_type: str = "Opaque",
) -> k8s.core.v1.Secret:
    """A Secret whose every value stays a Pulumi secret, whatever the caller passed in."""
    return k8s.core.v1.Secret(
        name,
        metadata=metadata(name, component, namespace, label_name=label_name),
        type=secret_type,
        string_data={key: pulumi.Output.secret(value) for key, value in sorted(values.items())},
        opts=opts,
    )


def secret_volume(volume_name: str, secret_name: str, keys: Sequence[str]) -> k8s.core.v1.VolumeArgs:
    return k8s.core.v1.VolumeArgs(
        name=volume_name,
        secret=k8s.core.v1.SecretVolumeSourceArgs(
            secret_name=secret_name,
            default_mode=0o440,
            items=[k8s.core.v1.KeyToPathArgs(key=key, path=key) for key in sorted(keys)],
        ),
    )


def empty_dir(volume_name: str, size_limit: str = "256Mi") -> k8s.core.v1.VolumeArgs:
    return k8s.core.v1.VolumeArgs(name=volume_name, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=size_limit))


def mount(volume_name: str, path: str, read_only: bool = True) -> k8s.core.v1.VolumeMountArgs:
    return k8s.core.v1.VolumeMountArgs(name=volume_name, mount_path=path, read_only=read_only)


def pod_disruption_budget(name: str, component: str, namespace: pulumi.Input[str], replicas: int, opts: pulumi.ResourceOptions) -> Optional[k8s.policy.v1.PodDisruptionBudget]:
    """Keep all but one replica through voluntary disruptions; nothing to protect with a single replica."""
    if replicas < 2:
        return None
    return k8s.policy.v1.PodDisruptionBudget(
        name,
        metadata=metadata(name, component, namespace),
        spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
            max_unavailable=1,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector(name)),
        ),
        opts=opts,
    )


def spread_across_nodes(name: str) -> list[k8s.core.v1.TopologySpreadConstraintArgs]:
    """Replicas on different nodes where the cluster has them; never unschedulable on a single-node cluster."""
    return [
        k8s.core.v1.TopologySpreadConstraintArgs(
            max_skew=1,
            topology_key="kubernetes.io/hostname",
            when_unsatisfiable="ScheduleAnyway",
            label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector(name)),
        )
    ]


def pod_metadata(name: str, component: str, annotations: Optional[dict[str, str]] = None) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(labels=labels(name, component), annotations=annotations)


def pod_template(
    name: str,
    component: str,
    containers: list[k8s.core.v1.ContainerArgs],
    volumes: list[k8s.core.v1.VolumeArgs],
    service_account_name: pulumi.Input[str],
    mount_token: bool = False,
    spread: bool = False,
    annotations: Optional[dict[str, str]] = None,
    **spec_fields,
) -> k8s.core.v1.PodTemplateSpecArgs:
    """The pod of a workload: restricted, its own service account, token mounted only when asked."""
    return k8s.core.v1.PodTemplateSpecArgs(
        metadata=pod_metadata(name, component, annotations),
        spec=k8s.core.v1.PodSpecArgs(
            service_account_name=service_account_name,
            automount_service_account_token=mount_token,
            security_context=pod_security_context(),
            containers=containers,
            volumes=volumes,
            topology_spread_constraints=spread_across_nodes(name) if spread else None,
            **spec_fields,
        ),
    )


def config_reloader(image: str, watched: dict[str, str], reload_url: str, port: int) -> k8s.core.v1.ContainerArgs:
    """A sidecar that calls the server's reload endpoint when a mounted ConfigMap changes.

    `watched` maps volume name -> mount path. The main container reloads in place: no pod restarts
    when a rule, scrape job or route changes.
    """
    return container(
        "config-reloader",
        image,
        args=[f"--volume-dir={path}" for path in watched.values()] + [f"--webhook-url={reload_url}", f"--web.listen-address=:{port}"],
        ports=[k8s.core.v1.ContainerPortArgs(name="reloader-web", container_port=port)],
        volume_mounts=[mount(volume, path) for volume, path in watched.items()],
        resources=resources("10m", "50m", "16Mi", "32Mi"),
        liveness_probe=k8s.core.v1.ProbeArgs(
            tcp_socket=k8s.core.v1.TCPSocketActionArgs(port=port), initial_delay_seconds=5, period_seconds=20
        ),
        readiness_probe=k8s.core.v1.ProbeArgs(
            tcp_socket=k8s.core.v1.TCPSocketActionArgs(port=port), initial_delay_seconds=5, period_seconds=20
        ),
    )


def child(parent: pulumi.Resource) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent)


def volume_claim_template(component: str, label_name: str, size: str, storage_class: Optional[str]) -> k8s.core.v1.PersistentVolumeClaimArgs:
    """The `data` volume of each StatefulSet replica."""
    return k8s.core.v1.PersistentVolumeClaimArgs(
        metadata=k8s.meta.v1.ObjectMetaArgs(name="data", labels=labels(label_name, component)),
        spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
            access_modes=["ReadWriteOnce"],
            storage_class_name=storage_class,
            resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": size}),
        ),
    )


def service(
    name: str,
    component: str,
    namespace: pulumi.Input[str],
    ports: list[k8s.core.v1.ServicePortArgs],
    opts: pulumi.ResourceOptions,
    selects: Optional[str] = None,
    headless: bool = False,
    publish_not_ready: bool = False,
    session_affinity: Optional[str] = None,
) -> k8s.core.v1.Service:
    """A Service for the pods of workload `selects` (default: `name`)."""
    target = selects or name
    return k8s.core.v1.Service(
        name,
        metadata=metadata(name, component, namespace, label_name=target),
        spec=k8s.core.v1.ServiceSpecArgs(
            cluster_ip="None" if headless else None,
            publish_not_ready_addresses=publish_not_ready or None,
            selector=selector(target),
            ports=ports,
            session_affinity=session_affinity,
        ),
        opts=opts,
    )


def port(name: str, number: int, protocol: str = "TCP") -> k8s.core.v1.ServicePortArgs:
    return k8s.core.v1.ServicePortArgs(name=name, port=number, target_port=name, protocol=protocol)
