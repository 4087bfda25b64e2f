"""A container of a rendered Kubernetes manifest, run with podman as the kubelet would run it:
the manifest's command or the image's entrypoint, its args, uid and gid, a read-only root
filesystem with only the pod's volumes mounted, all capabilities dropped, no privilege escalation.

What cannot be the cluster's is passed in by the test, and only that: the directories standing in
for ConfigMap, Secret and PersistentVolumeClaim volumes, environment values that name cluster
addresses, and the network (podman's flags for this machine, images/podman.py)."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from images.podman import CONTAINER_FLAGS, podman


@dataclass
class PodContainer:
    manifest: dict
    container: dict
    pod_spec: dict

    @classmethod
    def all_of(cls, manifest: dict) -> list["PodContainer"]:
        """One per container of a Deployment's, StatefulSet's or CronJob's pod template."""
        spec = manifest["spec"]
        if manifest["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        pod_spec = spec["template"]["spec"]
        return [cls(manifest, container, pod_spec) for container in pod_spec["containers"]]

    @classmethod
    def of(cls, manifest: dict) -> "PodContainer":
        """The pod's main container (the first)."""
        return cls.all_of(manifest)[0]

    @property
    def user(self) -> tuple[int, int]:
        context = {**self.pod_spec.get("securityContext", {}), **self.container.get("securityContext", {})}
        return int(context["runAsUser"]), int(context["runAsGroup"])

    @property
    def env(self) -> dict[str, str]:
        return {item["name"]: str(item["value"]) for item in self.container.get("env", []) if "value" in item}

    @property
    def mounts(self) -> dict[str, dict]:
        """mount path -> {"volume": <the pod's volume>, "read_only": bool}"""
        volumes = {volume["name"]: volume for volume in self.pod_spec.get("volumes", [])}
        return {m["mountPath"]: {"volume": volumes[m["name"]], "read_only": bool(m.get("readOnly"))}
                for m in self.container.get("volumeMounts", [])}

    def writable_paths(self) -> list[str]:
        return [path for path, mount in self.mounts.items() if not mount["read_only"]]

    def port(self, name_or_number) -> int:
        if isinstance(name_or_number, int):
            return name_or_number
        return next(p["containerPort"] for p in self.container["ports"] if p["name"] == name_or_number)


@dataclass
class Run:
    """`podman run` of a PodContainer; `volumes` maps a volume name to the host directory standing in for it."""

    pod: PodContainer
    image: str
    volumes: dict[str, Path] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)  # added to, or replacing, the manifest's values
    network: tuple[str, ...] = ()  # podman flags replacing the default --network=host
    extra_args: tuple[str, ...] = ()  # appended to the manifest's args
    name: str = ""

    def argv(self, detach: bool) -> list[str]:
        uid, gid = self.pod.user
        context = self.pod.container.get("securityContext", {})
        flags = [flag for flag in CONTAINER_FLAGS if not (self.network and flag.startswith("--network"))]
        # No timer for the image's health check (podman would ask systemd for one): the tests run it.
        argv = ["run", *flags, *self.network, "--user", f"{uid}:{gid}", "--cap-drop=all", "--health-interval=disable",
                "--log-driver=k8s-file"]
        if detach:
            argv += ["--detach", "--name", self.name]
        else:
            argv += ["--rm"]
        if context.get("readOnlyRootFilesystem"):
            argv += ["--read-only", "--read-only-tmpfs=false"]
        if context.get("allowPrivilegeEscalation") is False:
            argv += ["--security-opt", "no-new-privileges"]
        self._make_nested_mount_points()
        for path, mount in self.pod.mounts.items():
            volume = mount["volume"]
            if "emptyDir" in volume:
                argv += ["--mount", f"type=tmpfs,destination={path},tmpfs-mode=1777"]
            else:
                source = self.volumes[volume["name"]]
                argv += ["--volume", f"{source}:{path}:{'ro' if mount['read_only'] else 'rw'}"]
        for key, value in {**self.pod.env, **self.env}.items():
            argv += ["--env", f"{key}={value}"]
        if "command" in self.pod.container:
            argv += ["--entrypoint", json.dumps(self.pod.container["command"])]
        return [*argv, self.image, *self.pod.container.get("args", []), *self.extra_args]

    def _make_nested_mount_points(self) -> None:
        """A mount inside another (the Secret under the ConfigMap's directory) needs its directory in
        the outer volume, which the kubelet's volumes provide; the host directories here get it made."""
        for path in self.pod.mounts:
            for outer, mount in self.pod.mounts.items():
                name = mount["volume"]["name"]
                if path.startswith(outer.rstrip("/") + "/") and name in self.volumes:
                    (self.volumes[name] / path[len(outer):].lstrip("/")).mkdir(parents=True, exist_ok=True)

    def run(self, timeout: float = 300) -> subprocess.CompletedProcess:
        return podman(*self.argv(detach=False), check=False, timeout=timeout)

    def start(self) -> str:
        podman("rm", "--force", "--ignore", self.name, check=False)
        return podman(*self.argv(detach=True)).stdout.strip()

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr

    def main_process_ids(self) -> tuple[int, int]:
        """The real uid and gid of the container's first process, read from the host's /proc."""
        pid = podman("inspect", "--format", "{{.State.Pid}}", self.name).stdout.strip()
        status = Path(f"/proc/{pid}/status").read_text()
        fields = {line.split(":")[0]: line.split()[1] for line in status.splitlines() if line.startswith(("Uid", "Gid"))}
        return int(fields["Uid"]), int(fields["Gid"])

    def remove(self) -> None:
        podman("rm", "--force", "--ignore", "--time", "2", self.name, check=False)


def readable_dir(uid: int = 0, gid: int = 0) -> Path:
    """A directory the container's non-root user can enter (pytest's own are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="waqiti-image-test-", dir="/tmp"))
    path.chmod(0o755)
    os.chown(path, uid, gid)
    return path


def secret_dir(directory: Path, files: dict[str, str], gid: int) -> Path:
    """Files as a Secret volume presents them: the value as is, group-owned by the pod's fsGroup, 0440."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    for name, value in files.items():
        path = directory / name
        path.write_text(value)
        os.chown(path, 0, gid)
        path.chmod(0o440)
    return directory
