"""moto's AWS APIs in this process, on a port it binds itself (port 0) and reports.

    with moto_endpoint() as url:      # http://127.0.0.1:PORT
        boto3.client("s3", endpoint_url=url, ...)
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from moto.server import ThreadedMotoServer


@contextmanager
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
