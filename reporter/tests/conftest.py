"""Fixtures for the reporter tests: a real Prometheus holding one synthetic day, S3 from moto_server on
loopback, and an aiosmtpd SMTP sink that requires AUTH."""
from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import boto3
import pytest
from aiosmtpd.smtp import AuthResult

from reporter.tests import synthetic_day
from testsupport.aws import moto_endpoint as running_moto
from testsupport.ports import listening_socket
from testsupport.prometheus import PrometheusServer, create_blocks_from_openmetrics
from testsupport.smtp import SocketController

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = REPO_ROOT / "test-output" / "reporter"
SMTP_USER, SMTP_PASSWORD = "reporter", "s3cret-smtp-pass"


@pytest.fixture(scope="session")
def output_dir(worker_id) -> Path:
    # One directory per xdist worker: a worker's session start must not wipe files another is writing.
    path = OUTPUT_DIR if worker_id == "master" else OUTPUT_DIR / worker_id
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="session")
def synthetic_blocks(tmp_path_factory) -> Path:
    """TSDB blocks of the synthetic day; copy them before handing them to a Prometheus that writes."""
    data_dir = tmp_path_factory.mktemp("synthetic-blocks")
    create_blocks_from_openmetrics(synthetic_day.openmetrics(), data_dir)
    return data_dir


@pytest.fixture(scope="session")
def synthetic_prometheus(synthetic_blocks, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("prometheus-data") / "data"
    shutil.copytree(synthetic_blocks, data_dir)
    with PrometheusServer(data_dir=data_dir) as prometheus:
        yield prometheus


@pytest.fixture(scope="session")
def targets_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("targets") / "slo-targets.yml"
    path.write_text(synthetic_day.TARGETS_YAML)
    return path


@pytest.fixture(scope="session")
def stack_targets_file(tmp_path_factory) -> Path:
    """The targets file the stack mounts into the report jobs, rendered from configs/slo.yml and the rules."""
    from model.slo import load_slo_spec
    from render.report_targets import render_report_targets
    from render.rules import source_rule_files

    spec = load_slo_spec()
    ((name, text),) = render_report_targets(spec, source_rule_files(spec), "test").items()
    path = tmp_path_factory.mktemp("stack-targets") / name
    path.write_text(text)
    return path


@pytest.fixture(scope="session")
def moto_endpoint():
    with running_moto() as url:
        yield url


@pytest.fixture
def aws_env(moto_endpoint, monkeypatch) -> dict[str, str]:
    """boto3's standard variables pointing at moto; returned so tests can pass them on as environ."""
    env = {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return env


@pytest.fixture
def s3(aws_env):
    return boto3.client("s3")


@pytest.fixture
def bucket(s3, request) -> str:
    """A fresh versioned bucket; with object lock enabled (as in production for reports)."""
    name = f"bucket-{re.sub('[^a-z0-9]+', '-', request.node.name.lower())[:40]}-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


class _Sink:
    def __init__(self):
        self.messages: list = []       # (envelope, authenticated login)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope, session.auth_data))
        return "250 OK"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login)


@pytest.fixture
def smtp_sink():
    """Plain SMTP (no TLS) that insists on AUTH; the job is configured with SMTP_SECURITY=none."""
    sink = _Sink()
    controller = SocketController(sink, listening_socket(), authenticator=_authenticate,
                                  auth_required=True, auth_require_tls=False)
    controller.start()
    yield controller, sink
    controller.stop()


@pytest.fixture
def smtp_password_file(tmp_path) -> Path:
    path = tmp_path / "smtp-password"
    path.write_text(SMTP_PASSWORD)        # no trailing newline, as Kubernetes secret files are
    return path
