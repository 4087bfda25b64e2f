"""aiosmtpd's threaded Controller on a listening socket the caller holds (testsupport/ports.py):
the port is known before the server starts, and nobody can take it in between.

    sock = listening_socket()
    controller = SocketController(handler, sock, authenticator=...)
    controller.start()          # serves on port_of(sock)
"""
from __future__ import annotations

import socket

from aiosmtpd.controller import Controller


class SocketController(Controller):
    def __init__(self, handler, sock: socket.socket, **kwargs):
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, **kwargs)
        self._socket = sock

    def _create_server(self):
        # the held socket instead of binding host:port again
        return self.loop.create_server(self._factory_invoker, sock=self._socket, ssl=self.ssl_context)
