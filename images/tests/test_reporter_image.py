"""The reporter image, run as its CronJobs run it (args, uid, read-only root filesystem, the Secret
and volume mounts, the environment the manifests set): the daily report reaches an SMTP sink and
its PDF is archived in (moto's) S3; the Prometheus backup snapshots a real Prometheus running as
the StatefulSet's user, streams it to S3 and removes the snapshot from the shared volume."""
from __future__ import annotations

import email
import email.policy
import gzip
import io
import os
import re
import shutil
import tarfile
from pathlib import Path

import boto3
import pytest
from aiosmtpd.smtp import AuthResult

from reporter.tests import synthetic_day
from testsupport.aws import moto_endpoint as running_moto
from testsupport.ports import listening_socket
from testsupport.prometheus import PrometheusServer, create_blocks_from_openmetrics
from testsupport.smtp import SocketController

from .pod import PodContainer, Run, readable_dir, secret_dir

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("images"),
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]
SMTP_PASSWORD = "image-test-smtp-password"


class Sink:
    def __init__(self, user: str):
        self.user = user
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope, session.auth_data))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == self.user.encode() and auth_data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login)


@pytest.fixture(scope="module")
def moto_endpoint():
    with running_moto() as url:
        yield url


def aws(moto_endpoint: str) -> dict[str, str]:
    """In the cluster the pod's IAM role (IRSA) signs; here moto's static keys stand in for it."""
    return {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "image-test", "AWS_SECRET_ACCESS_KEY": "image-test"}


def s3_client(moto_endpoint: str, region: str):
    return boto3.client("s3", region_name=region, endpoint_url=moto_endpoint,
                        aws_access_key_id="image-test", aws_secret_access_key="image-test")


def create_bucket(client, name: str, region: str, object_lock: bool) -> None:
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region},
                         ObjectLockEnabledForBucket=object_lock)
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def test_daily_report_is_emailed_and_archived(images, manifests, moto_endpoint, tmp_path):
    pod = PodContainer.of(manifests["cronjob-sla-report-daily"])
    blocks = readable_dir()
    create_blocks_from_openmetrics(synthetic_day.openmetrics(), blocks)
    sink = Sink(pod.env["SMTP_USERNAME"])
    smtp = SocketController(sink, listening_socket(), authenticator=sink.authenticate,
                            auth_required=True, auth_require_tls=False)
    region, bucket = pod.env["AWS_REGION"], pod.env["REPORT_S3_BUCKET"]
    s3 = s3_client(moto_endpoint, region)
    create_bucket(s3, bucket, region, object_lock=True)
    secrets = secret_dir(readable_dir(), {pod.env["SMTP_PASSWORD_FILE"].rsplit("/", 1)[1]: SMTP_PASSWORD}, pod.user[1])
    # The SLO targets and paging rota the stack mounts from its ConfigMap (SLO_TARGETS_FILE).
    config = secret_dir(readable_dir(), manifests["configmap-sla-reporter-config"]["data"], pod.user[1])
    smtp.start()
    try:
        with PrometheusServer(data_dir=blocks) as prometheus:
            result = Run(pod, images["reporter"].reference, volumes={"secrets": secrets, "config": config},
                         # the relay here speaks plain SMTP on loopback; the stack's uses STARTTLS
                         env={"PROMETHEUS_URL": prometheus.url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port),
                              "SMTP_SECURITY": "none", **aws(moto_endpoint)},
                         extra_args=("--date", synthetic_day.DAY.isoformat())).run()
    finally:
        smtp.stop()
        shutil.rmtree(secrets, ignore_errors=True)
        shutil.rmtree(config, ignore_errors=True)
        shutil.rmtree(blocks, ignore_errors=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert SMTP_PASSWORD not in result.stdout + result.stderr

    [(envelope, login)] = sink.messages
    assert login == pod.env["SMTP_USERNAME"].encode()
    assert envelope.rcpt_tos == [address.strip() for address in pod.env["REPORT_RECIPIENTS"].split(",")]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"].endswith(f"Daily SLA report: {synthetic_day.DAY.isoformat()}")
    [attachment] = list(message.iter_attachments())
    pdf = attachment.get_content()
    assert pdf.startswith(b"%PDF-")
    assert "PaymentHighErrorRate" in message.get_body(preferencelist=("html",)).get_content()

    day = synthetic_day.DAY
    key = f"{pod.env['REPORT_S3_PREFIX']}/daily/{day:%Y/%m/%d}/{attachment.get_filename()}"
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert stored["Body"].read() == pdf and stored["ObjectLockMode"] == "COMPLIANCE"


class PrometheusAs(PrometheusServer):
    """A real Prometheus running as uid:gid, as the StatefulSet runs it: the backup job shares its
    volume and must be able to delete the snapshot Prometheus wrote there."""

    def __init__(self, uid: int, gid: int, **kwargs):
        super().__init__(**kwargs)
        for directory in (self._work_dir, self.data_dir):
            for root, dirs, files in os.walk(directory):
                for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                    os.chown(name, uid, gid)
        self._process.argv = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--", *self._process.argv]


def test_prometheus_backup_streams_a_snapshot_to_s3(images, manifests, moto_endpoint):
    pod = PodContainer.of(manifests["cronjob-backup-prometheus"])
    prometheus_pod = PodContainer.of(manifests["statefulset-prometheus"])
    assert pod.user == prometheus_pod.user   # both write the one volume
    region, bucket = pod.env["AWS_REGION"], pod.env["BACKUP_S3_BUCKET"]
    s3 = s3_client(moto_endpoint, region)
    create_bucket(s3, bucket, region, object_lock=False)
    data = readable_dir(*prometheus_pod.user)
    create_blocks_from_openmetrics(synthetic_day.openmetrics(), data)
    try:
        with PrometheusAs(*prometheus_pod.user, data_dir=data, admin_api=True) as prometheus:
            result = Run(pod, images["reporter"].reference, volumes={"prometheus-data": data},
                         env={"PROMETHEUS_URL": prometheus.url, **aws(moto_endpoint)}).run()
            assert result.returncode == 0, result.stdout + result.stderr
            assert list((data / "snapshots").iterdir()) == []       # removed after the upload
        key = result.stdout.strip().splitlines()[-1]
        assert re.fullmatch(rf"{pod.env['BACKUP_S3_PREFIX']}/prometheus/\d{{4}}/\d{{2}}/\d{{2}}/prometheus-\d{{8}}T\d{{6}}Z\.tar\.gz", key)
        archive = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(archive))) as tar:
            blocks = {Path(name).parts[0] for name in tar.getnames() if name.endswith("meta.json")}
        assert blocks and blocks <= {path.name for path in data.iterdir() if (path / "meta.json").exists()}
    finally:
        shutil.rmtree(data, ignore_errors=True)
