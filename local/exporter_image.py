"""`make local EXPORTER_IMAGE=1`: the exporter runs from its built image (make images) instead of the
source tree, as the Deployment runs it: its uid, a read-only root filesystem, the config and the
password file mounted where the Deployment mounts them. podman stays in the foreground, so the
local stack starts and stops it like any other process (SIGTERM is passed on to the container)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from images.catalog import IMAGES
from images.podman import CONTAINER_FLAGS, GLOBAL_FLAGS

CONFIG_DIR = "/etc/exporter"
SECRETS_DIR = "/etc/exporter/secrets"
UID = GID = 65534  # the Deployment's runAsUser/runAsGroup (components/k8s.py NOBODY)


def mounted_dir(directory: Path, files: dict[str, Path], mode: int) -> Path:
    """The files as a volume shows them to the pod's user: owned by root, group GID."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    for name, source in files.items():
        target = directory / name
        shutil.copyfile(source, target)
        os.chown(target, 0, GID)
        target.chmod(mode)
    return directory


def podman_argv(run_dir: Path, config: Path, password_file: Path, listen: str, env: dict[str, str]) -> list[str]:
    config_dir = mounted_dir(run_dir / "exporter-image-config", {"config.yml": config}, 0o644)
    secrets_dir = mounted_dir(run_dir / "exporter-image-secrets", {"db-password": password_file}, 0o440)
    (config_dir / "secrets").mkdir(exist_ok=True)  # the mount point of the Secret inside the config volume
    argv = ["podman", *GLOBAL_FLAGS, "run", "--rm", *CONTAINER_FLAGS, "--user", f"{UID}:{GID}", "--cap-drop=all",
            "--health-interval=disable",  # no systemd timer here; the stack polls /healthz itself
            "--security-opt", "no-new-privileges", "--read-only", "--read-only-tmpfs=false",
            "--mount", "type=tmpfs,destination=/tmp,tmpfs-mode=1777",
            "--volume", f"{config_dir}:{CONFIG_DIR}:ro", "--volume", f"{secrets_dir}:{SECRETS_DIR}:ro"]
    for key, value in {**env, "EXPORTER_DB_PASSWORD_FILE": f"{SECRETS_DIR}/db-password"}.items():
        argv += ["--env", f"{key}={value}"]
    return [*argv, IMAGES["exporter"].local, "--config", f"{CONFIG_DIR}/config.yml", "--listen", listen]
