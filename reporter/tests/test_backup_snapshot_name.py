"""The Prometheus backup removes the snapshot directory Prometheus names in its answer: a lying (or
compromised) Prometheus answering "../wal" must not make it delete the WAL from the data volume."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from reporter.backup.prometheus import SNAPSHOT_NAME, backup_prometheus, snapshot_directory
from reporter.settings import backup_settings

GOOD = "20261203T141500Z-3f0a9b1c2d4e5f60"


def lying_prometheus(name):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = json.dumps({"status": "success", "data": {"name": name}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture
def data_dir(tmp_path):
    data = tmp_path / "data"
    (data / "wal").mkdir(parents=True)
    (data / "wal" / "00000001").write_text("segment")
    (data / "snapshots").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "keep").write_text("x")
    return data


@pytest.mark.parametrize("name", ["../wal", "..", "", "/etc", "20261203T141500Z-3f0a9b1c2d4e5f60/../../wal",
                                  "20261203T141500Z-3f0a9b1c2d4e5f60\n", 42, None, ["../wal"]])
def test_a_lying_prometheus_removes_nothing(data_dir, name):
    server = lying_prometheus(name)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = backup_settings({"BACKUP_S3_BUCKET": "unused"})
        with pytest.raises(ValueError, match="snapshot name"):
            backup_prometheus(None, settings, f"http://127.0.0.1:{server.server_address[1]}", data_dir)
    finally:
        server.shutdown()
        server.server_close()
    assert (data_dir / "wal" / "00000001").read_text() == "segment"


def test_a_snapshot_name_that_is_a_symlink_out_of_snapshots_is_refused(data_dir):
    (data_dir / "snapshots" / GOOD).symlink_to(data_dir.parent / "elsewhere")
    with pytest.raises(ValueError, match="does not resolve"):
        snapshot_directory(data_dir, GOOD)
    assert (data_dir.parent / "elsewhere" / "keep").exists()


def test_a_real_snapshot_name_resolves_under_snapshots(data_dir):
    assert SNAPSHOT_NAME.fullmatch(GOOD)
    assert snapshot_directory(data_dir, GOOD) == (data_dir / "snapshots" / GOOD).resolve()
