"""The exporter image, run as the Deployment runs it, against a real PostgreSQL over TLS: the password
from the mounted Secret file, read-only root filesystem, the Deployment's uid and args. Its /metrics
equals the SQL ground truth for every business metric; its probes and health check answer."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
import requests

from exporter.config import load_config
from exporter.tests.datagen import populate
from exporter.tests.ground_truth import expected_samples
from exporter.tests.scraping import business, scrape, wait_until
from images.catalog import ROOT
from images.podman import podman
from local import exporter_image
from testsupport.ports import EXPORTER_LISTENING
from testsupport.postgres import PostgresServer
from testsupport.process import ServerProcess

from .pod import PodContainer, Run, readable_dir, secret_dir

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("images")]
# With slirp4netns the container has a network of its own; this address is the host's loopback.
HOST_LOOPBACK_FROM_CONTAINER = "10.0.2.2"
DEPLOYMENT = "deployment-business-metrics-exporter"


@pytest.fixture(scope="module")
def tls_postgres():
    """PostgreSQL with TLS on, since the Deployment connects with sslmode=require."""
    certs = readable_dir()
    key, cert = certs / "server.key", certs / "server.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=postgres",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        for path in (key, cert):
            os.chown(path, account.pw_uid, account.pw_gid)
    key.chmod(0o600)
    try:
        with PostgresServer(settings={"ssl": "on", "ssl_cert_file": str(cert), "ssl_key_file": str(key)}) as server:
            yield server
    finally:
        shutil.rmtree(certs, ignore_errors=True)


@pytest.fixture(scope="module")
def platform_database(tls_postgres, manifests):
    """The database and read-only role the Deployment names, with the reference schema and data."""
    pod = PodContainer.of(manifests[DEPLOYMENT])
    database, reader = pod.env["PGDATABASE"], pod.env["PGUSER"]
    password = "image-test-" + os.urandom(8).hex()
    with psycopg.connect(tls_postgres.dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    admin = tls_postgres.dsn_for("postgres", tls_postgres.password, database)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute((ROOT / "exporter" / "schema.sql").read_text())
        conn.execute((ROOT / "exporter" / "reader_role.sql").read_text().replace("business_metrics_reader", reader))
        conn.execute(f"ALTER ROLE \"{reader}\" PASSWORD '{password}'")
        populate(conn, seed=7, scale=1)
    return admin, password


@pytest.fixture(scope="module")
def exporter_container(images, manifests, production, tls_postgres, platform_database):
    pod = PodContainer.of(manifests[DEPLOYMENT])
    _, password = platform_database
    config_dir = readable_dir()
    shutil.copy(production / "exporter" / "config.yml", config_dir / "config.yml")
    (config_dir / "config.yml").chmod(0o644)
    secrets = secret_dir(readable_dir(), {"db-password": password}, pod.user[1])
    run = Run(pod, images["exporter"].reference, name=f"waqiti-exporter-image-test-{os.getpid()}",
              volumes={"config": config_dir, "secrets": secrets},
              env={"PGHOST": HOST_LOOPBACK_FROM_CONTAINER, "PGPORT": str(tls_postgres.port)},
              # no host port given: podman binds one and says which (podman port)
              network=("--network=slirp4netns:allow_host_loopback=true",
                       "--publish", f"127.0.0.1::{pod.port('metrics')}"))
    try:
        run.start()
        published = podman("port", run.name, f"{pod.port('metrics')}/tcp").stdout.split()[0]
        yield run, int(published.rsplit(":", 1)[1]), password
    finally:
        run.remove()
        shutil.rmtree(config_dir, ignore_errors=True)
        shutil.rmtree(secrets, ignore_errors=True)


def get(port: int, path: str) -> int:
    try:
        return requests.get(f"http://127.0.0.1:{port}{path}", timeout=5).status_code
    except requests.RequestException:
        return 0


def test_metrics_equal_the_ground_truth(exporter_container, platform_database, production):
    run, port, _ = exporter_container
    readiness = run.pod.container["readinessProbe"]["httpGet"]["path"]
    wait_until(lambda: get(port, readiness) == 200, timeout=60, message=f"readiness; logs:\n{run.logs()}")
    config = load_config(production / "exporter" / "config.yml")

    def every_group_refreshed():
        samples = scrape(port)
        done = {dict(labels)["group"] for (name, labels), value in samples.items()
                if name == "business_exporter_last_success_timestamp_seconds" and value > 0}
        return samples if done >= set(config.groups) else None

    samples = wait_until(every_group_refreshed, timeout=90, interval=0.5, message=f"a refresh of every group; logs:\n{run.logs()[-3000:]}")
    assert samples[("business_exporter_database_up", frozenset())] == 1, run.logs()[-3000:]
    admin, _ = platform_database
    with psycopg.connect(admin) as conn:
        truth = expected_samples(conn, config)
        [[ssl]] = conn.execute("SELECT bool_and(ssl) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE usename = %s",
                               (run.pod.env["PGUSER"],)).fetchall()
    assert business(samples) == truth
    assert {name for name, _ in truth} and ssl is True   # the exporter's sessions are encrypted


def test_runs_as_the_deployment_user_and_answers_its_probes_and_health_check(exporter_container):
    run, port, password = exporter_container
    wait_until(lambda: get(port, run.pod.container["readinessProbe"]["httpGet"]["path"]) == 200, timeout=60)
    assert run.main_process_ids() == run.pod.user
    assert get(port, run.pod.container["livenessProbe"]["httpGet"]["path"]) == 200
    health = podman("healthcheck", "run", run.name, check=False)
    assert health.returncode == 0, health.stdout + health.stderr
    assert password not in run.logs()


def test_stops_cleanly_on_sigterm(exporter_container):
    run, _, _ = exporter_container
    started = time.monotonic()
    podman("stop", "--time", "20", run.name)
    assert time.monotonic() - started < 15
    assert podman("inspect", "--format", "{{.State.ExitCode}}", run.name).stdout.strip() == "0"


def test_local_stack_runs_the_image_in_the_foreground(images, manifests, tls_postgres, platform_database, production):
    """`make local EXPORTER_IMAGE=1`: the local stack starts podman like any of its processes; it
    binds port 0 and says which port it got, and stopping it (SIGTERM, as the stack does) removes the container."""
    pod = PodContainer.of(manifests[DEPLOYMENT])
    _, password = platform_database
    run_dir = readable_dir()
    (run_dir / "db-password").write_text(password)
    env = {**pod.env, "PGHOST": "127.0.0.1", "PGPORT": str(tls_postgres.port)}
    argv = exporter_image.podman_argv(run_dir, production / "exporter" / "config.yml", run_dir / "db-password",
                                      "127.0.0.1:0", env)
    process = ServerProcess(argv, run_dir / "exporter.log", "http://127.0.0.1:{port}/healthz")
    try:
        process.start()
        port = process.wait_reported_port(EXPORTER_LISTENING, 60)  # it bound port 0, as in the local stack
        process.wait_ready(60)
        wait_until(lambda: scrape(port).get(("business_exporter_database_up", frozenset())) == 1, timeout=60)
    finally:
        process.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    running = podman("ps", "--all", "--no-trunc", "--filter", f"ancestor={images['exporter'].reference}", "--format", "{{.Command}}").stdout
    assert "127.0.0.1:0" not in running
