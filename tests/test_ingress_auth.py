"""Per-person logins, as deployed: the rendered nginx.conf of the login check and the htpasswd Secret
the program makes from the stack's logins, run by Debian's nginx (the package the image installs) on
loopback, as the pod runs it (uid 65534). Each configured login gets 2xx and its own name in the user
header; a wrong password, an unknown login or no Authorization header gets 401; a user header sent by
the client never comes back. Then the wiring under Pulumi's mocks: the Ingress annotations, the
Deployment, Service and NetworkPolicy of the login check, grafana.ini's auth proxy read back as
Grafana reads it, and the settings' and secrets' named errors.

Not run here: ingress-nginx itself (no controller; tests/test_ingress_auth_chain.py plays its
auth_request part with the directives it generates) and Grafana (no binary).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import requests

from model.endpoints import INGRESS_AUTH, INGRESS_AUTH_PATH, INGRESS_USER_HEADER
from model.settings import SettingsError, parse, read_stack_file
from model.settings.load import ROOT
from render.ingress_auth import HEALTH_PATH, HTPASSWD_FILE, RUN_DIR, render_nginx_conf
from testsupport.ports import pick_port
from testsupport.process import ServerProcess
from tests.settings_attack import grafana_ini
from tools.pulumi_engine import placeholder_secrets, run_program

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
POD_USER = 65534
LOGINS = ["alice", "bob.smith", "sre"]
CONFIGURED = {"alice": "alice's own: passphrase", "bob.smith": "b0b-Secret!"}  # sre's is generated


def loopback_conf(conf: str, port: int, logins_dir: Path, run_dir: Path) -> str:
    """The deployed nginx.conf with only what cannot be the pod's changed: the listen address and
    the directories its volumes stand for. Each is asserted to be there, so the test runs what ships."""
    replacements = [  # in this order: the directories stood for may lie under /tmp themselves
        (f" {RUN_DIR}/", f" {run_dir}/"),
        (f"listen {INGRESS_AUTH.port};", f"listen 127.0.0.1:{port};"),
        (f"{INGRESS_AUTH.dirs['secrets']}/{HTPASSWD_FILE};", f"{logins_dir}/{HTPASSWD_FILE};"),
    ]
    for old, new in replacements:
        assert old in conf, old
        conf = conf.replace(old, new)
    return conf


class LoginCheck:
    """Debian's nginx with the rendered configuration and an htpasswd, on 127.0.0.1."""

    def __init__(self, conf: str, htpasswd: str):
        self.conf_text, self.htpasswd = conf, htpasswd
        # Readable by the pod's uid (pytest's directories are private to root).
        self.dir = Path(tempfile.mkdtemp(prefix="waqiti-ingress-auth-", dir="/tmp"))
        self.dir.chmod(0o755)
        self.server = None

    def __enter__(self):
        (self.dir / HTPASSWD_FILE).write_text(self.htpasswd)
        (self.dir / HTPASSWD_FILE).chmod(0o444)
        run_dir = self.dir / "tmp"  # the pod's writable emptyDir
        run_dir.mkdir()
        (self.dir / "log").touch()  # its stdout: nginx opens /dev/stdout again, as the pod's user
        if os.geteuid() == 0:
            for path in (run_dir, self.dir / "log"):
                os.chown(path, POD_USER, POD_USER)
        for attempt in range(3):  # another process may take the drawn port first
            self.port = pick_port()
            (self.dir / "nginx.conf").write_text(loopback_conf(self.conf_text, self.port, self.dir, run_dir))
            as_pod = ["setpriv", f"--reuid={POD_USER}", f"--regid={POD_USER}", "--clear-groups"] if os.geteuid() == 0 else []
            self.server = ServerProcess([*as_pod, NGINX, "-e", "stderr", "-c", str(self.dir / "nginx.conf")], self.dir / "log",
                                        f"http://127.0.0.1:{self.port}{HEALTH_PATH}")
            self.server.start()
            try:
                self.server.wait_ready(15)
                return self
            except (RuntimeError, TimeoutError):
                self.server.stop()
                if attempt == 2:
                    shutil.rmtree(self.dir, ignore_errors=True)
                    raise

    def __exit__(self, *exc):
        self.server.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def ask(self, user: str | None = None, password: str | None = None, headers: dict | None = None) -> requests.Response:
        headers = dict(headers or {})
        if user is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        # What ingress-nginx's auth subrequest sends along: the original method and URL.
        headers.setdefault("X-Original-Method", "GET")
        headers.setdefault("X-Original-URL", "https://grafana.example.com/d/payments")
        return requests.get(f"http://127.0.0.1:{self.port}{INGRESS_AUTH_PATH}", headers=headers, timeout=10)

    def log(self) -> str:
        return self.server.log_tail(200)


@pytest.fixture(scope="module")
def logins_run():
    secrets = {**placeholder_secrets(), "ingressBasicAuthPasswords": json.dumps(CONFIGURED)}
    return run_program("production", overrides={"ingressBasicAuthUsers": LOGINS}, secrets=secrets)


@pytest.fixture(scope="module")
def passwords(logins_run) -> dict[str, str]:
    return logins_run.outputs["basicAuthPasswords"]


@pytest.fixture(scope="module")
def login_check(logins_run):
    conf = logins_run.get("ConfigMap", "ingress-auth-config").manifest["data"]["nginx.conf"]
    htpasswd = logins_run.get("Secret", "ingress-basic-auth").manifest["stringData"]["auth"]
    with LoginCheck(conf, htpasswd) as check:
        yield check


def test_the_deployed_configuration_is_the_rendered_one(logins_run):
    assert logins_run.get("ConfigMap", "ingress-auth-config").manifest["data"] == {"nginx.conf": render_nginx_conf()}


def test_the_passwords_are_the_configured_ones_or_generated(passwords, logins_run):
    assert list(passwords) == LOGINS and "basicAuthPasswords" in logins_run.secret_outputs
    assert {login: passwords[login] for login in CONFIGURED} == CONFIGURED
    assert passwords["sre"].startswith("generated-")
    generated = {r.name for r in logins_run.resources if r.type == "random:index/randomPassword:RandomPassword"}
    assert {name for name in generated if name.startswith("ingress-")} == {"ingress-basic-auth-password"}
    salts = {r.name: r.inputs["keepers"] for r in logins_run.resources if r.type == "random:index/randomString:RandomString"}
    assert salts == {"ingress-basic-auth-salt-alice": {"user": "alice"}, "ingress-basic-auth-salt-bob.smith": {"user": "bob.smith"},
                     "ingress-basic-auth-salt": {"user": "sre"}}


def test_the_htpasswd_holds_exactly_the_configured_logins(logins_run, passwords):
    text = logins_run.get("Secret", "ingress-basic-auth").manifest["stringData"]["auth"]
    lines = text.split("\n")
    assert lines[-1] == "" and [line.split(":", 1)[0] for line in lines[:-1]] == LOGINS
    assert all(line.split(":", 1)[1].startswith("$2b$12$") for line in lines[:-1])
    assert not any(password in text for password in passwords.values())


def test_each_login_gets_through_with_its_own_name(login_check, passwords):
    for login in LOGINS:
        answer = login_check.ask(login, passwords[login])
        assert 200 <= answer.status_code < 300, (login, answer.status_code, login_check.log())
        assert answer.headers[INGRESS_USER_HEADER] == login


@pytest.mark.parametrize("case", ["wrong password", "another's password", "unknown login", "no Authorization header",
                                  "not basic", "empty password"])
def test_anything_else_gets_401_and_no_user(login_check, passwords, case):
    ask = {
        "wrong password": lambda: login_check.ask("alice", passwords["alice"] + "x"),
        "another's password": lambda: login_check.ask("alice", passwords["bob.smith"]),
        "unknown login": lambda: login_check.ask("mallory", passwords["alice"]),
        "no Authorization header": lambda: login_check.ask(),
        "not basic": lambda: login_check.ask(headers={"Authorization": "Bearer " + passwords["alice"]}),
        "empty password": lambda: login_check.ask("sre", ""),
    }[case]
    answer = ask()
    assert answer.status_code == 401, (case, answer.status_code)
    assert INGRESS_USER_HEADER not in answer.headers
    # The browser is asked for a login: ingress-nginx passes this header of a 401 on.
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="Waqiti monitoring"'


def test_a_user_header_sent_by_the_client_is_never_echoed(login_check, passwords):
    forged = {INGRESS_USER_HEADER: "admin"}
    assert login_check.ask(headers=forged).status_code == 401
    answer = login_check.ask("bob.smith", passwords["bob.smith"], headers=forged)
    assert answer.headers[INGRESS_USER_HEADER] == "bob.smith"


def test_the_log_names_who_asked_for_what_and_never_a_password(login_check, passwords):
    login_check.ask("alice", passwords["alice"], headers={"X-Original-URL": "https://grafana.example.com/d/audit-trail"})
    login_check.ask("alice", "a-guess-7c1e")
    log = login_check.log()
    assert "user=alice GET \"https://grafana.example.com/d/audit-trail\"" in log
    assert not any(password in log for password in [*passwords.values(), "a-guess-7c1e"])
    assert not any(base64.b64encode(f"alice:{p}".encode()).decode() in log for p in passwords.values())


def test_other_paths_are_not_a_login_check(login_check, passwords):
    answer = requests.get(f"http://127.0.0.1:{login_check.port}/", auth=("alice", passwords["alice"]), timeout=5)
    assert answer.status_code == 404 and INGRESS_USER_HEADER not in answer.headers


# The wiring, under Pulumi's mocks.

def test_every_ingress_asks_the_login_check_and_passes_its_user_on(logins_run):
    for name in ("grafana", "prometheus", "alertmanager"):
        annotations = logins_run.get("Ingress", name).manifest["metadata"]["annotations"]
        assert annotations["nginx.ingress.kubernetes.io/auth-url"] == "http://ingress-auth.monitoring.svc.cluster.local:8080/auth"
        assert annotations["nginx.ingress.kubernetes.io/auth-response-headers"] == INGRESS_USER_HEADER
        # ingress-nginx's own basic auth is gone: one place checks passwords.
        assert not {"nginx.ingress.kubernetes.io/auth-type", "nginx.ingress.kubernetes.io/auth-secret"} & set(annotations)
        assert not any("snippet" in key for key in annotations)


def test_the_login_check_runs_restricted_with_its_logins_mounted(logins_run):
    deployment = logins_run.get("Deployment", "ingress-auth").manifest
    spec = deployment["spec"]["template"]["spec"]
    [container] = spec["containers"]
    assert container["image"] == "ghcr.io/waqiti/ingress-auth:0.1.0" and deployment["spec"]["replicas"] == 2
    assert container["args"] == ["-e", "stderr", "-c", "/etc/ingress-auth/config/nginx.conf"]
    volumes = {volume["name"]: volume for volume in spec["volumes"]}
    assert volumes["logins"]["secret"]["secretName"] == "ingress-basic-auth"
    assert volumes["logins"]["secret"]["items"] == [{"key": "auth", "path": HTPASSWD_FILE}]
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    assert mounts == {INGRESS_AUTH.dirs["config"]: "config", INGRESS_AUTH.dirs["secrets"]: "logins", "/tmp": "tmp"}
    assert spec["automountServiceAccountToken"] is False and container["securityContext"]["readOnlyRootFilesystem"] is True
    service = logins_run.get("Service", "ingress-auth").manifest["spec"]
    assert service["ports"] == [{"name": "http", "port": INGRESS_AUTH.port, "targetPort": "http", "protocol": "TCP"}]
    assert logins_run.get("PodDisruptionBudget", "ingress-auth").manifest["spec"]["maxUnavailable"] == 1


def test_only_the_ingress_controller_reaches_the_login_check_and_it_reaches_nothing(logins_run):
    policy = logins_run.get("NetworkPolicy", "allow-ingress-auth").manifest["spec"]
    assert policy["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "ingress-auth"
    assert sorted(policy["policyTypes"]) == ["Egress", "Ingress"] and not policy.get("egress")
    [rule] = policy["ingress"]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]
    assert rule["ports"] == [{"port": INGRESS_AUTH.port, "protocol": "TCP"}]


def test_grafana_is_reached_only_from_the_ingress_controller_and_in_namespace_pods(logins_run):
    """Whoever reaches Grafana could name any user: outside the namespace, only the ingress controller can."""
    [rule] = logins_run.get("NetworkPolicy", "allow-grafana").manifest["spec"]["ingress"]
    outside = [peer for peer in rule["from"] if "namespaceSelector" in peer or "ipBlock" in peer]
    assert outside == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]


def test_grafana_signs_each_person_in_by_the_checked_login(logins_run):
    ini = grafana_ini(logins_run.get("ConfigMap", "grafana-config").manifest["data"]["grafana.ini"])
    assert ini[("auth.proxy", "enabled")] == "true" and ini[("auth.proxy", "header_name")] == INGRESS_USER_HEADER
    assert ini[("auth.proxy", "header_property")] == "username" and ini[("auth.proxy", "auto_sign_up")] == "true"
    assert ini[("auth.proxy", "whitelist")] == "" and ini[("auth.proxy", "enable_login_token")] == "false"
    assert ini[("users", "auto_assign_org_role")] == "Viewer" and ini[("users", "allow_sign_up")] == "false"
    assert ini[("auth.anonymous", "enabled")] == "false" and ini[("auth.basic", "enabled")] == "false"


def test_the_sign_up_role_and_the_whitelist_are_settings():
    run = run_program("production", overrides={"grafanaAuthProxyRole": "Editor", "grafanaAuthProxyWhitelist": ["10.42.0.0/16", "10.43.0.0/16"]})
    ini = grafana_ini(run.get("ConfigMap", "grafana-config").manifest["data"]["grafana.ini"])
    assert ini[("users", "auto_assign_org_role")] == "Editor"
    assert ini[("auth.proxy", "whitelist")] == "10.42.0.0/16, 10.43.0.0/16"


def test_the_one_login_of_before_keeps_working():
    """No ingressBasicAuthUsers: the one login, its password from ingressBasicAuthPassword, its resource names kept."""
    run = run_program("production", secrets={**placeholder_secrets(), "ingressBasicAuthPassword": "the-old-one"})
    assert run.outputs["basicAuthUsers"] == ["sre"] and run.outputs["basicAuthPasswords"] == {"sre": "the-old-one"}
    [line] = run.get("Secret", "ingress-basic-auth").manifest["stringData"]["auth"].splitlines()
    assert line.startswith("sre:$2b$12$")


# Settings and secrets: named errors that never repeat a value.

BASE = read_stack_file(ROOT / "Pulumi.production.yaml")


@pytest.mark.parametrize("value, expected", [
    (["alice", "alice"], "listed twice"),
    (["alice", "admin"], "equals grafanaAdminUser"),
    (["alice", "Bob"], "expected a login name"),
    (["alice", "eve:x"], "expected a login name"),
    (["alice", "eve\nmallory:$2b$12$forged"], "control character"),
    ("alice,\teve", "control character"),
    ([f"user{i}" for i in range(201)], "at most 200"),
])
def test_bad_logins_are_named_errors(value, expected):
    with pytest.raises(SettingsError) as error:
        parse({**BASE, "ingressBasicAuthUsers": json.dumps(value) if isinstance(value, list) else value})
    [problem] = error.value.problems
    assert problem.startswith("waqiti-monitoring:ingressBasicAuthUsers: ") and expected in problem, problem


def test_logins_from_pulumi_config_set_are_comma_separated():
    assert parse({**BASE, "ingressBasicAuthUsers": "alice, bob.smith"}).ingress.users == ("alice", "bob.smith")


@pytest.mark.parametrize("value, expected", [
    ("a-plain-password-1f2e", "expected a JSON object of login -> non-empty password"),
    (json.dumps(["a-plain-password-1f2e"]), "expected a JSON object"),
    (json.dumps({"alice": ""}), "non-empty password"),
    (json.dumps({"alice": 12345678}), "non-empty password"),
    (json.dumps({"mallory": "a-plain-password-1f2e"}), "1 of its logins are not in ingressBasicAuthUsers"),
])
def test_bad_login_passwords_are_named_errors_without_the_secret(value, expected):
    with pytest.raises(SettingsError) as error:
        run_program("production", overrides={"ingressBasicAuthUsers": ["alice"]},
                    secrets={**placeholder_secrets(), "ingressBasicAuthPasswords": value})
    text = str(error.value)
    assert "waqiti-monitoring:ingressBasicAuthPasswords: " in text and expected in text, text
    assert "a-plain-password-1f2e" not in text and "mallory" not in text


def test_two_passwords_for_the_one_login_are_an_error():
    with pytest.raises(SettingsError) as error:
        run_program("production", secrets={**placeholder_secrets(), "ingressBasicAuthPassword": "one-9d8c",
                                           "ingressBasicAuthPasswords": json.dumps({"sre": "two-9d8c"})})
    assert "waqiti-monitoring:ingressBasicAuthPassword: " in str(error.value)
    assert "one-9d8c" not in str(error.value) and "two-9d8c" not in str(error.value)
