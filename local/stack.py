"""The local stack: the rendered production configuration, running as processes on loopback.

    with LocalStack(time_scale=20) as stack:      # renders, starts everything, waits until ready
        stack.prometheus.url, stack.alertmanagers[0].url, stack.sinks_url ...
    # leaving the block stops every process and deletes the run directory

What runs is what `tools.render` writes for production (build/ inside the run directory); the only
changes are those of local/localize.py (discovery -> local targets, receivers -> local sinks) and
local/timescale.py (durations divided by the time scale).
"""
from __future__ import annotations

import json
import secrets as secrets_module
import shutil
import sys
import tempfile
import time
from pathlib import Path

import boto3
import psycopg
import requests
import yaml

from local import exporter_image, localize, timescale
from local.localize import Sinks, Target, endpoint_meta
from local.ports import ALERTMANAGER_PEERS, PODS_PER_SERVICE, SERVICES, Ports
from local.services import HEALTH_PATH
from model.endpoints import ALERTMANAGER, EXPORTER, PROMETHEUS
from model.yamltext import dump_yaml
from testsupport.alertmanager import AlertmanagerServer
from testsupport.pinned_tools import binary
from testsupport.ports import EXPORTER_LISTENING, TOOLKIT_LISTENING
from testsupport.postgres import PostgresServer
from testsupport.process import PortInUse, ServerProcess, start_retrying
from testsupport.prometheus import PrometheusServer

ROOT = Path(__file__).resolve().parents[1]
STACK = "production"
# Services whose public health endpoint the blackbox job probes; here a pod's own health endpoint
# stands in for it (no ingress or load balancer locally).
PROBED_SERVICES = ("payment",)
APP_NAMESPACE = "waqiti"
MONITORING_NAMESPACE = "monitoring"
SNS_TOPIC_REGION = "us-east-1"
# Dummy AWS keys: moto accepts any signature.
AWS_CREDENTIALS = "[default]\naws_access_key_id = local-access-key\naws_secret_access_key = local-secret-key\n"


def write_secret(path: Path, value: str) -> None:
    """As the Secret is mounted in the cluster: exactly the value, no trailing newline."""
    path.write_text(value)
    path.chmod(0o600)


class LocalStack:
    def __init__(self, time_scale: float = 10.0, log=None, intervals: str | None = None, exporter_image: bool = False,
                 record_events: bool = False):
        self.exporter_from_image = exporter_image  # run the exporter from its built image (make images)
        # Each Alertmanager peer writes its event log (alert received and grouped, every notification
        # with the notification log's reason for it) to events_path(i): a diagnostic, not routing.
        self.record_events = record_events
        self.time_scale = float(time_scale)
        # scrape and evaluation intervals instead of the (scaled) rendered ones, e.g. "1s" (benchmarks)
        self.intervals = intervals
        self.log = log or (lambda message: None)
        self.run_dir = Path(tempfile.mkdtemp(prefix="waqiti-local-"))
        self.build_dir = self.run_dir / "build"
        self.secrets_dir = self.run_dir / "secrets"
        self.ports = Ports()
        self.postgres: PostgresServer | None = None
        self.processes: dict[str, ServerProcess] = {}
        self.alertmanagers: list[AlertmanagerServer] = []
        self.prometheus: PrometheusServer | None = None
        self.credentials: dict[str, str] = {}
        self.resend_delay = timescale.scale_duration("1m", self.time_scale)

    # -- addresses -------------------------------------------------------------------------------
    @property
    def sinks(self) -> Sinks:
        return Sinks(webhook_url=f"http://127.0.0.1:{self.ports.held_port('sinks-http')}",
                     smtp_address=f"127.0.0.1:{self.ports.held_port('sinks-smtp')}",
                     sns_url=f"http://127.0.0.1:{self.ports.held_port('moto')}")

    @property
    def sinks_url(self) -> str:
        return self.sinks.webhook_url

    @property
    def moto_url(self) -> str:
        return self.sinks.sns_url

    @property
    def traffic_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.held_port('traffic-control')}"

    def service_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports.held_port(f'{service}-control')}"

    @property
    def blackbox_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.blackbox_exporter}"

    def health_url(self, service: str) -> str:
        """The local stand-in of a service's public health endpoint: its first pod's health."""
        return f"http://127.0.0.1:{self.ports.service_pods[service][0]}{HEALTH_PATH}"

    @property
    def exporter_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.exporter}"

    def scaled(self, duration: str) -> float:
        """Seconds that `duration` (as written in the rendered config) lasts in this stack."""
        return timescale.parse_duration(duration) / self.time_scale

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> "LocalStack":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "LocalStack":
        self._render()
        self._write_secrets()
        self._start_postgres()
        self._start_process("sinks", [sys.executable, "-m", "local.sinks", "--http", self.ports.fd("sinks-http"),
                                      "--smtp", self.ports.fd("sinks-smtp")], f"{self.sinks_url}/requests",
                            held=("sinks-http", "sinks-smtp"))
        self._start_moto()
        self._start_services()
        self._start_process("traffic", [sys.executable, "-m", "local.traffic", "--control", self.ports.fd("traffic-control")],
                            f"{self.traffic_url}/faults", env={"TRAFFIC_DSN": self.postgres.dsn_for("postgres", self.postgres.password, self.database)},
                            held=("traffic-control",))
        self.ports.close()  # every held port is now its server's alone
        self._start_exporter()
        self._start_postgres_exporter()
        self._start_node_exporter()
        self._start_blackbox_exporter()
        self._start_alertmanagers()
        self._start_prometheus()
        self.log("all running")
        return self

    def stop(self) -> None:
        """Stops everything, whatever state it is in; deletes the run directory."""
        # SIGTERM to all first: Alertmanager peers take seconds each to leave the cluster.
        for server in [self.prometheus, *self.alertmanagers, *self.processes.values()]:
            if server is not None:
                server.terminate()
        if self.prometheus is not None:
            self.prometheus.cleanup()
        for alertmanager in self.alertmanagers:
            alertmanager.cleanup()
        for process in reversed(list(self.processes.values())):
            process.stop()
        if self.postgres is not None:
            try:
                self.postgres.cleanup()
            except RuntimeError:
                pass  # already stopped (Ctrl-C reaches PostgreSQL too); its directory is gone anyway
        self.ports.close()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    # -- steps -------------------------------------------------------------------------------------
    def _render(self) -> None:
        from tools.pulumi_engine import run_program
        from tools.render import write

        self.log(f"rendering the {STACK} stack with the Pulumi program (under mocks) into {self.build_dir}")
        write(run_program(STACK), self.build_dir)
        self.manifests = {p.name: yaml.safe_load(p.read_text()) for p in (self.build_dir / "manifests").glob("*.yaml")}
        self.prometheus_config = yaml.safe_load((self.build_dir / "prometheus" / "prometheus.yml").read_text())

    def _write_secrets(self) -> None:
        self.secrets_dir.mkdir(mode=0o700)
        self.credentials = {
            "slack-webhook-url": localize.slack_sink_url(self.sinks),
            "pagerduty-routing-key": secrets_module.token_hex(16),
            "smtp-password": secrets_module.token_urlsafe(18),
            "remediation-webhook-token": secrets_module.token_urlsafe(18),
            "db-password": secrets_module.token_urlsafe(18),
        }
        for name, value in self.credentials.items():
            write_secret(self.secrets_dir / name, value)
        write_secret(self.secrets_dir / "aws-credentials", AWS_CREDENTIALS)

    def _start_process(self, name: str, argv: list[str], ready_url: str, env: dict | None = None,
                       timeout: float = 30.0, held: tuple[str, ...] = (), reported=None) -> ServerProcess:
        """Starts a server and waits until `ready_url` answers. `held`: the held sockets it is handed
        (its argv names them as fd:N); `reported`: the pattern of the log line in which a server
        told port 0 says which port it got (`ready_url` then names it as {port})."""
        process = ServerProcess([str(a) for a in argv], self.run_dir / f"{name}.log", ready_url,
                                {"PYTHONPATH": str(ROOT), **(env or {})}, pass_fds=self.ports.fds(*held))
        self.processes[name] = process
        process.start()
        if reported is not None:
            process.wait_reported_port(reported, timeout)
        process.wait_ready(timeout)
        self.log(f"{name} ready")
        return process

    def _start_services(self) -> None:
        held = {s: [*(f"{s}-pod-{i}" for i in range(PODS_PER_SERVICE)), f"{s}-control"] for s in SERVICES}
        spec = {s: {"pods": [self.ports.fd(name) for name in names[:-1]], "control": self.ports.fd(names[-1])}
                for s, names in held.items()}
        (self.run_dir / "services.json").write_text(json.dumps(spec))
        self._start_process("services", [sys.executable, "-m", "local.services", "--spec", str(self.run_dir / "services.json")],
                            f"{self.service_url('fraud')}/faults", held=tuple(name for names in held.values() for name in names))

    def _exporter_env(self) -> dict:
        """The rendered Deployment's environment, pointed at the local database."""
        deployment = self.manifests["deployment-business-metrics-exporter.yaml"]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        env = {item["name"]: str(item["value"]) for item in container["env"] if "value" in item}
        return env

    @property
    def database(self) -> str:
        return self._exporter_env()["PGDATABASE"]

    def _start_postgres(self) -> None:
        self.postgres = PostgresServer()
        self.postgres.start()
        env = self._exporter_env()
        reader, database = env["PGUSER"], env["PGDATABASE"]
        with psycopg.connect(self.postgres.dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        with psycopg.connect(self.postgres.dsn_for("postgres", self.postgres.password, database), autocommit=True) as conn:
            conn.execute((ROOT / "exporter" / "schema.sql").read_text())
            # the exporter's own role script, for the user name the stack renders
            conn.execute((ROOT / "exporter" / "reader_role.sql").read_text().replace("business_metrics_reader", reader))
            conn.execute(f"ALTER ROLE \"{reader}\" PASSWORD '{self.credentials['db-password']}'")
        self.log(f"postgresql ready on 127.0.0.1:{self.postgres.port}, database {database}")

    def _start_moto(self) -> None:
        self._start_process("moto", [sys.executable, "-m", "local.sns", "--listen", self.ports.fd("moto")],
                            f"{self.moto_url}/moto-api/data.json", held=("moto",))
        # the on-call SMS topic the rendered config publishes to, in moto's default account
        alertmanager = yaml.safe_load((self.build_dir / "alertmanager" / "alertmanager.yml").read_text())
        for receiver in alertmanager["receivers"]:
            for sns in receiver.get("sns_configs", []):
                region, topic = sns["topic_arn"].split(":")[3], sns["topic_arn"].split(":")[5]
                client = boto3.client("sns", region_name=region, endpoint_url=self.moto_url,
                                      aws_access_key_id="local", aws_secret_access_key="local")
                arn = client.create_topic(Name=topic)["TopicArn"]
                assert arn == sns["topic_arn"], (arn, sns["topic_arn"])
                client.subscribe(TopicArn=arn, Protocol="sms", Endpoint="+15555550100")

    def _start_exporter(self) -> None:
        config = yaml.safe_load((self.build_dir / "exporter" / "config.yml").read_text())
        config_path = self.run_dir / "exporter-config.yml"
        config_path.write_text(dump_yaml(timescale.scale_exporter_config(config, self.time_scale)))
        env = self._exporter_env()
        reader = env["PGUSER"]
        # EXPORTER_DB_PASSWORD_FILE is what the cluster sets; libpq's own password file (PGPASSFILE)
        # carries the same secret for libpq, which the exporter relies on for everything else.
        pgpass = self.secrets_dir / "pgpass"
        write_secret(pgpass, f"127.0.0.1:{self.postgres.port}:{env['PGDATABASE']}:{reader}:{self.credentials['db-password']}\n")
        env.update(PGHOST="127.0.0.1", PGPORT=str(self.postgres.port), PGSSLMODE="disable",
                   EXPORTER_DB_PASSWORD_FILE=str(self.secrets_dir / "db-password"), PGPASSFILE=str(pgpass))
        listen, ready = "127.0.0.1:0", "http://127.0.0.1:{port}/healthz"  # it reports the port it got
        if self.exporter_from_image:
            env.pop("PGPASSFILE")  # the image reads the password file, as in the cluster
            argv = exporter_image.podman_argv(self.run_dir, config_path, self.secrets_dir / "db-password", listen, env)
            process = self._start_process("exporter", argv, ready, timeout=60.0, reported=EXPORTER_LISTENING)
        else:
            process = self._start_process("exporter", [sys.executable, "-m", "exporter", "--config", config_path, "--listen", listen],
                                          ready, env=env, reported=EXPORTER_LISTENING)
        self.ports.exporter = process.port

    def _start_postgres_exporter(self) -> None:
        dsn = (f"postgresql://postgres:{self.postgres.password}@127.0.0.1:{self.postgres.port}/"
               f"{self.database}?sslmode=disable")
        process = self._start_process("postgres-exporter", ["prometheus-postgres-exporter", "--web.listen-address=127.0.0.1:0"],
                                      "http://127.0.0.1:{port}/metrics", env={"DATA_SOURCE_NAME": dsn}, reported=TOOLKIT_LISTENING)
        self.ports.postgres_exporter = process.port

    def _start_node_exporter(self) -> None:
        # This machine as the one node. The collectors the node panels and alerts read, except
        # timex: a sandbox's clock is usually not NTP-disciplined (the kernel says unsynchronised),
        # and NodeClockNotSynchronising would fire for the machine rather than for a drill.
        collectors = ("cpu", "meminfo", "filesystem", "loadavg", "netdev")
        process = self._start_process("node-exporter", [binary("node_exporter"), "--collector.disable-defaults",
                                                        *(f"--collector.{name}" for name in collectors),
                                                        "--web.listen-address=127.0.0.1:0"],
                                      "http://127.0.0.1:{port}/metrics", reported=TOOLKIT_LISTENING)
        self.ports.node_exporter = process.port

    def _start_blackbox_exporter(self) -> None:
        # The modules the cluster's exporter mounts: the file taken back out of its rendered ConfigMap.
        config = self.build_dir / "blackbox" / "blackbox.yml"
        process = self._start_process("blackbox-exporter", [binary("blackbox_exporter"), f"--config.file={config}",
                                                            "--web.listen-address=127.0.0.1:0"],
                                      "http://127.0.0.1:{port}/-/healthy", reported=TOOLKIT_LISTENING)
        self.ports.blackbox_exporter = process.port

    def _start_alertmanagers(self) -> None:
        source = self.build_dir / "alertmanager"
        templates = self.run_dir / "alertmanager-templates"
        shutil.copytree(source / "templates", templates)
        config = yaml.safe_load((source / "alertmanager.yml").read_text())
        config = localize.localize_alertmanager_config(config, self.sinks, self.secrets_dir, templates)
        config = timescale.scale_alertmanager_config(config, self.time_scale)
        text = dump_yaml(config)
        env = {"AWS_SHARED_CREDENTIALS_FILE": str(self.secrets_dir / "aws-credentials")}

        def attempt() -> None:
            # The peers name each other's ports, so all are picked together, and again when another
            # process took one before its peer bound it.
            self.ports.pick_alertmanagers()
            cluster = [f"127.0.0.1:{port}" for port in self.ports.alertmanager_cluster]
            self.alertmanagers = [self._alertmanager(i, text, cluster, env) for i in range(ALERTMANAGER_PEERS)]
            try:
                for alertmanager in self.alertmanagers:
                    alertmanager.start()
            except PortInUse:
                for alertmanager in self.alertmanagers:
                    alertmanager.cleanup()
                raise

        start_retrying(attempt)
        self.wait_for_alertmanager_cluster()
        self.log(f"alertmanager cluster of {ALERTMANAGER_PEERS} ready")

    def events_path(self, index: int) -> Path:
        return self.run_dir / f"alertmanager-{index}" / "events.jsonl"

    def _alertmanager(self, index: int, config_text: str, cluster: list[str], env: dict) -> AlertmanagerServer:
        events = ()
        if self.record_events:
            config = yaml.safe_load(config_text)
            config["event_recorder"] = {"file_outputs": [{"name": "drill", "path": str(self.events_path(index))}]}
            config_text = dump_yaml(config)
            events = ("--enable-feature=event-recorder",)
        return AlertmanagerServer(
            config=config_text, port=self.ports.alertmanager[index], cluster_port=self.ports.alertmanager_cluster[index],
            peers=tuple(p for i, p in enumerate(cluster) if i != index), env=env,
            work_dir=self.run_dir / f"alertmanager-{index}",
            extra_args=("--log.level=warn", *events, f"--web.external-url=http://127.0.0.1:{self.ports.alertmanager[index]}"))

    def wait_for_alertmanager_cluster(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        running = [am for am in self.alertmanagers if am.running()]
        while time.monotonic() < deadline:
            try:
                sizes = [len(requests.get(f"{am.url}/api/v2/status", timeout=2).json()["cluster"].get("peers") or [])
                         for am in running]
                if all(size == len(running) for size in sizes):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"alertmanager peers did not form a cluster of {len(running)}")

    def check_processes(self) -> None:
        """Raises if any process of the stack has died on its own."""
        dead = {name: p.log_tail(20) for name, p in self.processes.items() if p.process.poll() is not None}
        if self.prometheus is not None and not self.prometheus.running():
            dead["prometheus"] = self.prometheus.log()
        if dead:
            raise RuntimeError("stopped unexpectedly:\n" + "\n".join(f"== {n}\n{log}" for n, log in dead.items()))

    def kill_alertmanager(self, index: int) -> None:
        self.alertmanagers[index].kill()

    def restart_alertmanager(self, index: int, timeout: float = 60.0) -> None:
        """Start a killed peer again on its ports (the kernel may hold them a few seconds)."""
        alertmanager = self.alertmanagers[index]
        deadline = time.monotonic() + timeout
        while True:
            try:
                alertmanager.start(timeout=15)
                break
            except (RuntimeError, TimeoutError):
                alertmanager.stop()
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        self.wait_for_alertmanager_cluster()

    def local_targets(self, prometheus_port: int | None = None) -> dict[str, list[Target]]:
        targets: dict[str, list[Target]] = {}
        for service in SERVICES:
            targets[f"waqiti-{service}-service"] = [
                Target(f"127.0.0.1:{port}", endpoint_meta(service=f"{service}-service", port_name="metrics",
                                                          namespace=APP_NAMESPACE, pod=f"{service}-service-{i}"))
                for i, port in enumerate(self.ports.service_pods[service])]
        targets["waqiti-business-metrics-exporter"] = [Target(
            f"127.0.0.1:{self.ports.exporter}",
            endpoint_meta(service=EXPORTER.name, port_name=EXPORTER.port_name, namespace=MONITORING_NAMESPACE,
                          pod=f"{EXPORTER.name}-0"))]
        targets["postgres-exporter"] = [Target(
            f"127.0.0.1:{self.ports.postgres_exporter}",
            endpoint_meta(service="postgres-exporter", port_name="http-metrics", namespace="platform",
                          pod="postgres-exporter-0", instance="waqiti-platform"))]
        targets["node-exporter"] = [Target(
            f"127.0.0.1:{self.ports.node_exporter}",
            endpoint_meta(service="node-exporter", port_name="metrics", namespace="node-exporter", pod="node-exporter-0"))]
        targets["prometheus"] = [Target(
            f"127.0.0.1:{prometheus_port or self.ports.prometheus}",
            endpoint_meta(service=PROMETHEUS.headless, port_name=PROMETHEUS.port_name, namespace=MONITORING_NAMESPACE,
                          pod=f"{PROMETHEUS.name}-0"))]
        targets["alertmanager"] = [Target(
            f"127.0.0.1:{port}",
            endpoint_meta(service=ALERTMANAGER.headless, port_name=ALERTMANAGER.port_name, namespace=MONITORING_NAMESPACE,
                          pod=f"{ALERTMANAGER.name}-{i}"))
            for i, port in enumerate(self.ports.alertmanager)]
        targets["blackbox"] = localize.probe_targets(
            self.prometheus_config, {service: self.health_url(service) for service in PROBED_SERVICES})
        return targets

    def _start_prometheus(self) -> None:
        source = self.build_dir / "prometheus"
        rules_dir = self.run_dir / "prometheus-rules"
        rules_dir.mkdir()
        local_jobs = set(self.local_targets())
        # The scrape interval the rules' `for` keeps (port-independent: a config for any port tells it).
        scaled = yaml.safe_load(self._prometheus_config(0, rules_dir))
        scrape = tuple(timescale.parse_duration(c["global"]["scrape_interval"]) for c in (self.prometheus_config, scaled))
        rule_files = {path.name: dump_yaml(timescale.scale_rule_file(
                          localize.localize_rule_file(yaml.safe_load(path.read_text()), local_jobs), self.time_scale, scrape))
                      for path in sorted((source / "rules").glob("*.yml"))}
        # It scrapes itself and names itself in its external URL: both are written for the port it
        # picks, and written again should it have to pick another.
        self.prometheus = PrometheusServer(
            config=lambda port: self._prometheus_config(port, rules_dir), env={"POD_NAME": "prometheus-0"},
            work_dir=self.run_dir / "prometheus",
            extra_args=lambda port: ("--log.level=warn",
                                     # how often firing alerts are re-sent to Alertmanager (1m), scaled like the rest
                                     f"--rules.alert.resend-delay={self.resend_delay}",
                                     f"--web.external-url=http://127.0.0.1:{port}"))
        self.prometheus.start()
        self.ports.prometheus = self.prometheus.port
        self.rules_dir = rules_dir
        # Rules go in once every local target has been scraped: Prometheus discovers targets up to
        # 5s after start (fixed, not scaled), longer than a scaled `for`, and absent() would page.
        self.wait_for_targets_up()
        for name, text in rule_files.items():
            (rules_dir / name).write_text(text)
        requests.post(f"{self.prometheus.url}/-/reload", timeout=10).raise_for_status()
        self.log(f"prometheus ready, {len(rule_files)} rule files loaded")

    def _prometheus_config(self, port: int, rules_dir: Path) -> str:
        config = localize.localize_prometheus_config(self.prometheus_config, self.local_targets(port),
                                                     [f"127.0.0.1:{p}" for p in self.ports.alertmanager], rules_dir,
                                                     probe_exporter=f"127.0.0.1:{self.ports.blackbox_exporter}")
        config = timescale.scale_prometheus_config(config, self.time_scale)
        if self.intervals:
            config = timescale.override_intervals(config, self.intervals)
        return dump_yaml(config)

    def wait_for_targets_up(self, timeout: float = 30.0) -> None:
        expected = sum(len(targets) for targets in self.local_targets().values())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            active = requests.get(f"{self.prometheus.url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
            if len(active) == expected and all(t["health"] == "up" for t in active):
                return
            time.sleep(0.2)
        raise TimeoutError(f"not every local target is up:\n{self.prometheus.log()}")
