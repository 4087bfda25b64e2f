"""podman as it runs on this kind of machine: runc with cgroupfs (crun fails on its cgroups),
explicit ulimits (the defaults are refused) and the host's network."""
from __future__ import annotations

import json
import subprocess

GLOBAL_FLAGS = ("--runtime", "runc", "--cgroup-manager", "cgroupfs")
# For every build step and every container run.
CONTAINER_FLAGS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network=host")


def podman(*args: str, check: bool = True, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Runs `podman <args>` with this machine's global flags; stdout and stderr are captured text."""
    result = subprocess.run(["podman", *GLOBAL_FLAGS, *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args[:3])} … failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


def image_exists(reference: str) -> bool:
    return podman("image", "exists", reference, check=False).returncode == 0


def inspect_image(reference: str) -> dict:
    return json.loads(podman("image", "inspect", reference).stdout)[0]
