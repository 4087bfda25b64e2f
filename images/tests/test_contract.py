"""Each image agrees with the pods that run it (uid, entrypoint and args, health check and probes,
the paths it reads and writes against the pod's mounts), stays within its size budget and carries
no compiler, installer or cache."""
from __future__ import annotations

import json
import re

import pytest

from images.catalog import IMAGES, PYTHON_IMAGES
from images.podman import inspect_image, podman

from .pod import PodContainer

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("images")]
SIZE_BUDGET = 250_000_000  # bytes, uncompressed


def pods_of(manifests: dict, name: str) -> list[PodContainer]:
    """Every workload of the production stack whose container runs this image."""
    pods = [pod for m in manifests.values() if m["kind"] in ("Deployment", "StatefulSet", "CronJob") for pod in PodContainer.all_of(m)]
    found = [pod for pod in pods if pod.container["image"].split("@")[0].rsplit(":", 1)[0].endswith("/" + IMAGES[name].repository)]
    assert found, f"no workload runs the {name} image"
    return found


@pytest.mark.parametrize("name", IMAGES)
def test_within_the_size_budget(images, name):
    assert images[name].size < SIZE_BUDGET, f"{name}: {images[name].size / 1e6:.0f} MB"


@pytest.mark.parametrize("name", IMAGES)
def test_runs_as_the_uid_and_gid_the_pods_set(images, manifests, name):
    user = inspect_image(images[name].reference)["Config"]["User"]
    assert {f"{pod.user[0]}:{pod.user[1]}" for pod in pods_of(manifests, name)} == {user}


def test_exporter_default_command_and_health_check_are_the_deployments(images, manifests):
    [pod] = pods_of(manifests, "exporter")
    details = inspect_image(images["exporter"].reference)
    config, health = details["Config"], details["Healthcheck"]  # podman lists the health check beside Config
    assert "command" not in pod.container and config["Entrypoint"] == ["python", "-m", "exporter"]
    assert config["Cmd"] == pod.container["args"]
    assert set(config["ExposedPorts"]) == {f"{p['containerPort']}/tcp" for p in pod.container["ports"]}
    liveness = pod.container["livenessProbe"]["httpGet"]
    assert f"http://127.0.0.1:{pod.port(liveness['port'])}{liveness['path']}" in " ".join(health["Test"])
    # the check must give up before the probe does
    assert health["Timeout"] / 1e9 <= pod.container["livenessProbe"]["timeoutSeconds"]


def test_reporter_jobs_use_the_entrypoint_and_have_no_health_check(images, manifests):
    details = inspect_image(images["reporter"].reference)
    assert details["Config"]["Entrypoint"] == ["python", "-m", "reporter"] and not details.get("Healthcheck")
    for pod in pods_of(manifests, "reporter"):
        assert "command" not in pod.container and pod.container["args"][0] in ("report", "backup")


@pytest.mark.parametrize("name", IMAGES)
def test_paths_are_mounted_where_the_image_reads_and_writes_them(images, manifests, name):
    env = dict(item.split("=", 1) for item in inspect_image(images[name].reference)["Config"]["Env"])
    writable_env = [env[key] for key in ("HOME", "TMPDIR", "MPLCONFIGDIR") if key in env]
    for pod in pods_of(manifests, name):
        writable = pod.writable_paths()
        for path in writable_env:
            assert any(path == w or path.startswith(w.rstrip("/") + "/") for w in writable), (pod.manifest["metadata"]["name"], path)
        read = [v for k, v in pod.env.items() if re.search(r"_(FILE|DIR)$", k)]
        read += [arg for arg in pod.container.get("args", []) if arg.startswith("/")]
        for path in read:
            assert any(path.startswith(m.rstrip("/") + "/") or path == m for m in pod.mounts), (pod.manifest["metadata"]["name"], path)


INSPECT_INSIDE = r"""
import glob, json, os, shutil, sys
tools = [t for t in ("gcc", "cc", "c++", "make", "pip", "pip3", "apt-get") if shutil.which(t)]
print(json.dumps({
    "compilers_or_installers": [t for t in tools if t != "apt-get"],
    "apt_lists": [n for n in os.listdir("/var/lib/apt/lists") if n not in ("lock", "partial", "auxfiles")],
    "caches": glob.glob("/root/.cache/*") + glob.glob("/var/cache/apt/*.bin") + glob.glob("/var/cache/apt/archives/*.deb"),
    "venv_pip": os.path.exists("/opt/venv/bin/pip"),
    "python": sys.version.split()[0],
    "uncompiled": [os.path.join(d, f) for d, _, fs in os.walk("/app") for f in fs
                   if f.endswith(".py") and not os.path.isdir(os.path.join(d, "__pycache__"))],
}))
"""


@pytest.mark.parametrize("name", PYTHON_IMAGES)
def test_no_compiler_installer_or_cache_and_code_is_byte_compiled(images, name):
    result = podman("run", "--rm", "--network=none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                    "--read-only", "--no-healthcheck", "--entrypoint", "python", images[name].reference, "-c", INSPECT_INSIDE)
    found = json.loads(result.stdout)
    assert found["compilers_or_installers"] == [] and found["apt_lists"] == [] and found["caches"] == []
    assert not found["venv_pip"] and found["uncompiled"] == []
    assert found["python"].startswith("3.11.")
