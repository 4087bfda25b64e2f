"""The whole path of a request, ingress -> login check -> UI, on loopback.

No ingress-nginx controller runs here, so its part is played by a second Debian nginx with the
directives the controller writes for the rendered Ingress's annotations (its template's
external-auth location and `buildAuthResponseHeaders`: `auth_request`, then per response header
`auth_request_set $authHeaderN $upstream_http_<name>` and `proxy_set_header '<Name>' $authHeaderN`).
That part is a stand-in, written from the controller's template; the login check is the rendered
one (tests/test_ingress_auth.py) and the UI an echo of the headers it receives.

What it shows: the UI sees the checked login in the user header and never a copy the client sent,
with or without a valid login; a refused login reaches no UI and the browser gets the login check's
401 with its realm.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from model.endpoints import INGRESS_USER_HEADER
from testsupport.ports import pick_port
from testsupport.process import ServerProcess
from tests.test_ingress_auth import NGINX, POD_USER, LoginCheck
from tools.pulumi_engine import placeholder_secrets, run_program

PASSWORDS = {"alice": "alice-chain-7d1f", "bob.smith": "bob-chain-2c9e"}


class Echo(BaseHTTPRequestHandler):
    """The UI: answers with the request headers it received."""

    def do_GET(self):  # noqa: N802 (the standard library's name)
        body = json.dumps({key.lower(): value for key, value in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def controller_conf(annotations: dict[str, str], port: int, auth_port: int, ui_port: int, run_dir: Path) -> str:
    """What ingress-nginx writes for these annotations, reduced to the parts on the request's path."""
    auth_path = annotations["nginx.ingress.kubernetes.io/auth-url"].split(":", 2)[2].split("/", 1)[1]
    passed = [name.strip() for name in annotations["nginx.ingress.kubernetes.io/auth-response-headers"].split(",")]
    response_headers = "\n".join(
        f"            auth_request_set $authHeader{i} $upstream_http_{name.lower().replace('-', '_')};\n"
        f"            proxy_set_header '{name}' $authHeader{i};" for i, name in enumerate(passed))
    temp = "\n".join(f"    {kind}_temp_path {run_dir}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""daemon off;
pid {run_dir}/controller.pid;
error_log stderr warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
{temp}
    server {{
        listen 127.0.0.1:{port};
        location = /_external-auth {{
            internal;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
            proxy_set_header X-Original-Method $request_method;
            proxy_method {annotations["nginx.ingress.kubernetes.io/auth-method"]};
            proxy_pass http://127.0.0.1:{auth_port}/{auth_path};
        }}
        location / {{
            auth_request /_external-auth;
{response_headers}
            proxy_pass http://127.0.0.1:{ui_port};
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def chain():
    run = run_program("production", overrides={"ingressBasicAuthUsers": list(PASSWORDS)},
                      secrets={**placeholder_secrets(), "ingressBasicAuthPasswords": json.dumps(PASSWORDS)})
    annotations = run.get("Ingress", "grafana").manifest["metadata"]["annotations"]
    ui = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=ui.serve_forever, daemon=True).start()
    directory = Path(tempfile.mkdtemp(prefix="waqiti-ingress-chain-", dir="/tmp"))
    directory.chmod(0o755)
    (directory / "log").touch()
    if os.geteuid() == 0:
        for path in (directory, directory / "log"):
            os.chown(path, POD_USER, POD_USER)
    conf = run.get("ConfigMap", "ingress-auth-config").manifest["data"]["nginx.conf"]
    htpasswd = run.get("Secret", "ingress-basic-auth").manifest["stringData"]["auth"]
    controller = None
    try:
        with LoginCheck(conf, htpasswd) as check:
            port = pick_port()
            (directory / "nginx.conf").write_text(controller_conf(annotations, port, check.port, ui.server_address[1], directory))
            as_pod = ["setpriv", f"--reuid={POD_USER}", f"--regid={POD_USER}", "--clear-groups"] if os.geteuid() == 0 else []
            controller = ServerProcess([*as_pod, NGINX, "-e", "stderr", "-c", str(directory / "nginx.conf")], directory / "log",
                                       f"http://127.0.0.1:{port}/")
            controller.start()
            _wait_refused(controller, port)
            yield port, check
    finally:
        if controller is not None:
            controller.stop()
        ui.shutdown()
        shutil.rmtree(directory, ignore_errors=True)


def _wait_refused(controller: ServerProcess, port: int) -> None:
    """Ready when a request without a login is refused by the login check behind it."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 401:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise TimeoutError(controller.log_tail())


def through_ingress(port: int, auth=None, headers=None) -> requests.Response:
    return requests.get(f"http://127.0.0.1:{port}/d/payments?orgId=1", auth=auth, headers=headers, timeout=10)


def test_the_ui_sees_each_checked_login(chain):
    port, _ = chain
    for login, password in PASSWORDS.items():
        answer = through_ingress(port, (login, password))
        assert answer.status_code == 200 and answer.json()[INGRESS_USER_HEADER.lower()] == login


def test_a_user_header_from_the_client_never_reaches_the_ui(chain):
    port, _ = chain
    answer = through_ingress(port, ("bob.smith", PASSWORDS["bob.smith"]), headers={INGRESS_USER_HEADER: "admin"})
    assert answer.status_code == 200 and answer.json()[INGRESS_USER_HEADER.lower()] == "bob.smith"
    forged = through_ingress(port, headers={INGRESS_USER_HEADER: "admin"})
    assert forged.status_code == 401 and "admin" not in forged.text


@pytest.mark.parametrize("auth", [None, ("alice", "wrong"), ("mallory", PASSWORDS["alice"]), ("alice", PASSWORDS["bob.smith"])])
def test_a_refused_login_reaches_no_ui_and_the_browser_is_asked_again(chain, auth):
    port, _ = chain
    answer = through_ingress(port, auth, headers={INGRESS_USER_HEADER: "alice"})
    assert answer.status_code == 401 and answer.headers.get("Content-Type") != "application/json"
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="Waqiti monitoring"'


def test_the_login_check_logs_the_url_asked_for(chain):
    port, check = chain
    through_ingress(port, ("alice", PASSWORDS["alice"]))
    assert 'user=alice GET "http://127.0.0.1' in check.log() and '/d/payments?orgId=1"' in check.log()
