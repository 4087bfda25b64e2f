"""A real Alertmanager (the pinned version, testsupport/pinned_tools.py) on 127.0.0.1, for tests and the local stack.

    from testsupport.alertmanager import AlertmanagerServer

    with AlertmanagerServer(config=yaml_text) as am:     # picks a port, waits until /-/ready
        requests.get(am.url + "/api/v2/silences")
    # leaving the block stops it and deletes its storage

A single instance runs with clustering disabled (--cluster.listen-address=). For clustered peers,
pass `cluster_port` on each and `peers=[...]` ("127.0.0.1:PORT"); they gossip on loopback.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from testsupport.pinned_tools import binary
from testsupport.process import LoopbackServer

# A clustered peer at position p of the member list sends a notification p peer timeouts after the
# first one, unless the notification log already says it was sent.
PEER_TIMEOUT_SECONDS = 0.5

MINIMAL_CONFIG = """\
route:
  receiver: blackhole
receivers:
  - name: blackhole
"""


class AlertmanagerServer(LoopbackServer):
    def __init__(self, config: str = MINIMAL_CONFIG, port: int | None = None,
                 cluster_port: int | None = None, peers: tuple[str, ...] = (),
                 extra_args: tuple[str, ...] = (), env: dict[str, str] | None = None,
                 work_dir: Path | None = None):
        self.cluster_port = cluster_port
        self._work_dir = Path(work_dir or tempfile.mkdtemp(prefix="alertmanager-"))
        self._work_dir.mkdir(parents=True, exist_ok=True)
        self.config_path = self._work_dir / "alertmanager.yml"
        self.config_path.write_text(config)
        self._peers, self._extra_args = peers, extra_args
        self._launch(port, "alertmanager.log", env=env)

    def _argv(self) -> list[str]:
        cluster = ([f"--cluster.listen-address=127.0.0.1:{self.cluster_port}",
                    f"--cluster.peer-timeout={PEER_TIMEOUT_SECONDS * 1000:g}ms", *(f"--cluster.peer={p}" for p in self._peers)]
                   if self.cluster_port else ["--cluster.listen-address="])
        return [binary("alertmanager"),
                f"--config.file={self.config_path}",
                f"--storage.path={self._work_dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                *cluster, *self._extra_args]
