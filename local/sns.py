"""moto's AWS APIs (the local stack publishes SMS through SNS) on a socket the stack hands over:

    python -m local.sns --listen fd:N     (or HOST:PORT)

What `moto_server` runs, served on a held port (testsupport/ports.py) instead of one given by number.
"""
from __future__ import annotations

import argparse

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from local.http_json import listening


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, type=listening, help="HOST:PORT or fd:N")
    args = parser.parse_args(argv)
    host, port = args.listen.getsockname()[:2]
    server = make_server(host, port, DomainDispatcherApplication(create_backend_app), threaded=True,
                         request_handler=MotoRequestHandler, fd=args.listen.fileno())
    server.serve_forever()  # until SIGTERM ends the process, as moto_server does
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
