"""Where the local Alertmanagers' notifications land: one process, two sinks, one query API.

    python -m local.sinks --http 127.0.0.1:PORT --smtp 127.0.0.1:PORT   (or fd:N, a socket handed over)

- HTTP: every POST/PUT (Slack webhook, PagerDuty Events v2, status page, dead man's switch,
  remediation hooks) is recorded with its path, headers and body, and answered as the real service
  would (PagerDuty: 202 with a dedup key).
- SMTP (aiosmtpd): every message is recorded with the credentials it logged in with. Alertmanager's
  LOGIN exchange does not match aiosmtpd's prompts, so LOGIN is not offered; AUTH PLAIN is.
- GET /requests and GET /emails return what was recorded (JSON, oldest first, each with a `seq`);
  `?since=SEQ` returns only later ones. DELETE on either clears it.
"""
from __future__ import annotations

import argparse
import email
import email.policy
import itertools
import json
import signal
import threading
import time
from urllib.parse import parse_qs, urlparse

from aiosmtpd.smtp import AuthResult, LoginPassword

from local.http_json import JsonHandler, listening, serve
from testsupport.smtp import SocketController

_sequence = itertools.count(1)
_lock = threading.Lock()
REQUESTS: list[dict] = []
EMAILS: list[dict] = []


def _record(store: list[dict], item: dict) -> None:
    with _lock:
        store.append({"seq": next(_sequence), "time": time.time(), **item})


class WebhookHandler(JsonHandler):
    protocol_version = "HTTP/1.1"

    def _body(self) -> object:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode(errors="replace")

    def do_POST(self):
        body = self._body()
        _record(REQUESTS, {"method": self.command, "path": urlparse(self.path).path,
                           "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
        if self.path.startswith("/pagerduty"):
            self._reply(202, {"status": "success", "message": "Event processed",
                              "dedup_key": (body or {}).get("dedup_key", "") if isinstance(body, dict) else ""})
        else:
            self._reply(200, "ok")

    do_PUT = do_POST

    def do_GET(self):
        url = urlparse(self.path)
        store = {"/requests": REQUESTS, "/emails": EMAILS}.get(url.path)
        if store is None:
            return self._reply(404, {"error": "GET /requests or /emails"})
        since = int(parse_qs(url.query).get("since", ["0"])[0])
        with _lock:
            items = [item for item in store if item["seq"] > since]
        self._reply(200, items)

    def do_DELETE(self):
        store = {"/requests": REQUESTS, "/emails": EMAILS}.get(urlparse(self.path).path)
        if store is None:
            return self._reply(404, {"error": "DELETE /requests or /emails"})
        with _lock:
            store.clear()
        self._reply(200, {"cleared": True})



class MailHandler:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(("html", "plain"))
        login = session.auth_data if isinstance(session.auth_data, LoginPassword) else None
        _record(EMAILS, {
            "mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
            "subject": str(message["Subject"] or ""),
            "body": body.get_content() if body is not None else "",
            "auth_login": login.login.decode() if login else None,
            "auth_password": login.password.decode() if login else None,
        })
        return "250 Message accepted for delivery"


def accept_any_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    # Any credentials are accepted; they are recorded with each message for the tests to check.
    return AuthResult(success=True, handled=False, auth_data=auth_data)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http", required=True, type=listening, help="HOST:PORT or fd:N of the webhook sink and query API")
    parser.add_argument("--smtp", required=True, type=listening, help="HOST:PORT or fd:N of the SMTP sink")
    args = parser.parse_args(argv)

    smtp = SocketController(MailHandler(), args.smtp, authenticator=accept_any_login,
                            auth_require_tls=False, auth_exclude_mechanism=["LOGIN"], ready_timeout=10)
    smtp.start()
    http = serve(args.http, WebhookHandler)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    http.shutdown()
    smtp.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
