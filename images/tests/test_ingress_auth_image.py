"""The login check's image, run as its Deployment runs it (args, uid, read-only root filesystem, the
ConfigMap and Secret mounts, /tmp an emptyDir) with the production stack's rendered nginx.conf and an
htpasswd the program made: a configured login gets 2xx with its name in the user header, a wrong
password 401. The nginx in it is the Debian package the loopback tests run (tests/test_ingress_auth.py)."""
from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from images.podman import podman
from model.endpoints import INGRESS_AUTH_PATH, INGRESS_USER_HEADER
from testsupport.ports import pick_port
from tools.pulumi_engine import placeholder_secrets, run_program

from .pod import PodContainer, Run, readable_dir, secret_dir

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("images")]
DEPLOYMENT = "deployment-ingress-auth"
PASSWORD = "image-test-login-password"


@pytest.fixture(scope="module")
def login_container(images, manifests, production):
    pod = PodContainer.of(manifests[DEPLOYMENT])
    run = run_program("production", secrets={**placeholder_secrets(), "ingressBasicAuthPassword": PASSWORD})
    config_dir = readable_dir()
    (config_dir / "nginx.conf").write_text(run.get("ConfigMap", "ingress-auth-config").manifest["data"]["nginx.conf"])
    (config_dir / "nginx.conf").chmod(0o644)
    logins = secret_dir(readable_dir(), {"htpasswd": run.get("Secret", "ingress-basic-auth").manifest["stringData"]["auth"]}, pod.user[1])
    port = pick_port()
    container = Run(pod, images["ingress-auth"].reference, name=f"waqiti-ingress-auth-image-test-{port}",
                    volumes={"config": config_dir, "logins": logins},
                    network=("--network=slirp4netns", "--publish", f"127.0.0.1:{port}:{pod.port('http')}"))
    try:
        container.start()
        yield container, port
    finally:
        container.remove()
        shutil.rmtree(config_dir, ignore_errors=True)
        shutil.rmtree(logins, ignore_errors=True)


def ask(port: int, path: str, auth=None) -> requests.Response | None:
    try:
        return requests.get(f"http://127.0.0.1:{port}{path}", auth=auth, timeout=5)
    except requests.RequestException:
        return None


def test_answers_each_login_by_name_and_refuses_a_wrong_password(login_container):
    container, port = login_container
    readiness = container.pod.container["readinessProbe"]["httpGet"]["path"]
    deadline = time.monotonic() + 60
    while (answer := ask(port, readiness)) is None or answer.status_code != 200:
        assert time.monotonic() < deadline, container.logs()
        time.sleep(0.3)
    good = ask(port, INGRESS_AUTH_PATH, ("sre", PASSWORD))
    assert 200 <= good.status_code < 300 and good.headers[INGRESS_USER_HEADER] == "sre", container.logs()
    bad = ask(port, INGRESS_AUTH_PATH, ("sre", PASSWORD + "x"))
    assert bad.status_code == 401 and INGRESS_USER_HEADER not in bad.headers
    assert container.main_process_ids() == container.pod.user
    assert PASSWORD not in container.logs() and "user=sre" in container.logs()


def test_its_nginx_is_the_debian_package_the_tests_run(images):
    inside = podman("run", "--rm", "--network=none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                    "--entrypoint", "dpkg-query", images["ingress-auth"].reference, "-W", "-f", "${Version}", "nginx").stdout
    here = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "nginx"], capture_output=True, text=True, check=True).stdout
    # The same nginx release; the Debian revision may differ by a security update between the weekly
    # base and this machine's last upgrade.
    assert re.fullmatch(r"1\.22\.\S+", inside) and inside.split("-")[0] == here.split("-")[0], (inside, here)
