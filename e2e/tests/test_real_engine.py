"""The real engine: Pulumi CLI, language host and providers against a real API server (with kwok nodes).

For each of dev and production, in order: the README's deploy steps (login, stack init, every
required secret, preview, up, stack output), then what a user would look at after `up`, a second
`up`, a one-threshold change, and `destroy`. Then a bad setting is refused before any resource.
"""

from __future__ import annotations

import secrets
import time
from collections import Counter

import pytest
import yaml

from e2e.cluster import ADVERTISED_ADDRESS, NODES, ApiError
from e2e.deploy import deploy_commands, required_secrets
from e2e.tests.conftest import RESULTS
from tools.pulumi_engine import run_program

RULE_FILE = "configs/prometheus/rules/payment.yml"
THRESHOLD, CHANGED = "> 0.05", "> 0.06"  # PaymentFailureRateHigh, as tests/test_change_cost.py
WORKLOADS = ("Deployment", "StatefulSet")
URL_OUTPUTS = ("grafanaUrl", "prometheusUrl", "alertmanagerUrl")
SECRET_OUTPUTS = ("grafanaAdminPassword", "basicAuthPasswords")


def secret_values(stack: str) -> dict[str, str]:
    """Made-up values for each required secret; no traffic ever reaches them (kwok runs no container)."""
    token = secrets.token_urlsafe(18)
    values = {key: f"e2e-{key}-{token}" for key in required_secrets(stack)}
    if "slackWebhookUrl" in values:
        values["slackWebhookUrl"] = f"https://hooks.slack.example.com/services/E2E/{token}"
    return values


def timed(name: str, stack: str, function):
    started = time.monotonic()
    result = function()
    RESULTS.setdefault(stack, {})[f"{name}_seconds"] = round(time.monotonic() - started, 1)
    return result


def kubernetes_objects(project, stack: str) -> list[dict]:
    """apiVersion, kind, namespace, name and uid of every Kubernetes object in the stack's state."""
    objects = []
    for resource in project.resources(stack):
        if resource["type"].startswith("kubernetes:") and not resource.get("external"):
            out = resource["outputs"]
            meta = out["metadata"]
            objects.append({"apiVersion": out["apiVersion"], "kind": out["kind"], "namespace": meta.get("namespace"), "name": meta["name"], "uid": meta.get("uid")})
    return objects


def program_resources(resources: list[dict]) -> Counter:
    """(type, name) of every resource the program registered: the stack, providers and what it only
    read (get functions) left out."""
    names = Counter()
    for resource in resources:
        if resource["type"] == "pulumi:pulumi:Stack" or resource["type"].startswith("pulumi:providers:") or resource.get("external"):
            continue
        names[(resource["type"], resource["urn"].rsplit("::", 1)[1])] += 1
    return names


def wait_for(what: str, check, timeout: float = 120):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(1)
    raise AssertionError(f"{what}: not within {timeout} s")


class _StackCycle:
    STACK: str
    state: dict

    @pytest.fixture(autouse=True)
    def _mocked(self):
        if "mocked" not in self.state:
            self.state["mocked"] = run_program(self.STACK)

    @property
    def namespace(self) -> str:
        return self.state["mocked"].outputs["namespace"]

    def test_deploy_steps_through_preview(self, project, cluster):
        values = secret_values(self.STACK)
        commands = deploy_commands(self.STACK, f"file://{project.state}", values)
        preview_at = commands.index(["preview"])
        for args in commands[:preview_at]:
            project.run(*args)
        preview = timed("preview", self.STACK, lambda: project.run("preview"))
        counts = preview.summary()
        RESULTS[self.STACK]["preview"] = counts
        mocked = len(self.state["mocked"].resources) + 1  # the engine counts the stack resource too
        assert counts == {"create": mocked}, preview.stdout[-3000:]
        self.state["commands"] = commands[preview_at + 1 :]

    def test_up_creates_what_the_mocked_program_registers(self, project):
        up_args, output_args = self.state["commands"]
        up = timed("up", self.STACK, lambda: project.run(*up_args))
        RESULTS[self.STACK]["up"] = up.summary()
        mocked = self.state["mocked"]
        assert up.summary() == {"create": len(mocked.resources) + 1}, up.stdout[-3000:]
        assert program_resources(project.resources(self.STACK)) == Counter((r.type, r.name) for r in mocked.resources)
        self.state["output_args"] = output_args

    def test_every_object_exists_in_the_api_server(self, project, cluster):
        objects = kubernetes_objects(project, self.STACK)
        assert len(objects) == len(self.state["mocked"].kubernetes())
        for obj in objects:
            live = cluster.api.get(cluster.api.path(obj["apiVersion"], obj["kind"], obj["namespace"], obj["name"]))
            assert live["metadata"]["uid"] == obj["uid"], obj
        self.state["objects"] = objects

    def test_the_api_server_policies_hold_the_address_the_api_server_publishes(self, project, cluster):
        # networkApiServerCidrs is unset in the stack: the program read default/kubernetes at deploy time.
        assert "waqiti-monitoring:networkApiServerCidrs" not in yaml.safe_load(project.stack_file(self.STACK).read_text())["config"]
        published = cluster.api.get("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes")
        addresses = [address for endpoint in published["endpoints"] for address in endpoint["addresses"]]
        assert addresses == [ADVERTISED_ADDRESS]
        (read,) = [r for r in project.resources(self.STACK) if r.get("external")]
        assert read["type"] == "kubernetes:discovery.k8s.io/v1:EndpointSlice" and read["id"] == "default/kubernetes"
        port = published["ports"][0]["port"]
        for name in ("allow-prometheus", "allow-kube-state-metrics"):
            policy = cluster.api.get(f"/apis/networking.k8s.io/v1/namespaces/{self.namespace}/networkpolicies/{name}")
            (rule,) = [rule for rule in policy["spec"]["egress"] if any(p["port"] == port for p in rule.get("ports", []))]
            assert rule["to"] == [{"ipBlock": {"cidr": f"{ADVERTISED_ADDRESS}/32"}}], name
            assert {p["port"] for p in rule["ports"]} == {443, 6443, port}, name

    def test_pod_security_restricted_is_enforced_on_the_namespace(self, cluster):
        labels = cluster.api.get(f"/api/v1/namespaces/{self.namespace}")["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
        privileged = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "e2e-privileged"},
            "spec": {"containers": [{"name": "c", "image": "busybox", "securityContext": {"privileged": True}}]},
        }
        with pytest.raises(ApiError) as refused:
            cluster.api.create(f"/api/v1/namespaces/{self.namespace}/pods", privileged)
        assert refused.value.status == 403 and "violates PodSecurity" in refused.value.body

    def test_every_controller_pod_is_admitted_and_running_on_a_kwok_node(self, cluster):
        api, ns = cluster.api, self.namespace
        workloads = [obj for obj in self.state["objects"] if obj["kind"] in WORKLOADS]
        assert workloads
        for obj in workloads:
            path = api.path(obj["apiVersion"], obj["kind"], ns, obj["name"])
            # `up` waited for each to be ready once; a StatefulSet's status may still be catching up.
            wait_for(f"{obj['kind']} {obj['name']} ready", lambda: (lambda live: live["status"].get("readyReplicas") == live["spec"]["replicas"])(api.get(path)), 120)
        pods = api.items(f"/api/v1/namespaces/{ns}/pods")
        expected = sum(api.get(api.path(o["apiVersion"], o["kind"], ns, o["name"]))["spec"]["replicas"] for o in workloads)
        assert len(pods) == expected
        for pod in pods:
            assert pod["status"]["phase"] == "Running" and pod["spec"]["nodeName"] in NODES, pod["metadata"]["name"]
        refused = [e["message"] for e in api.items(f"/api/v1/namespaces/{ns}/events") if e["reason"] == "FailedCreate"]
        assert refused == []
        RESULTS[self.STACK]["pods"] = len(pods)

    def test_a_job_from_each_cronjob_is_admitted(self, cluster):
        api, ns = cluster.api, self.namespace
        cronjobs = api.items(f"/apis/batch/v1/namespaces/{ns}/cronjobs")
        mocked = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in self.state["mocked"].kubernetes("CronJob")}
        assert sorted(c["metadata"]["name"] for c in cronjobs) == sorted(mocked)
        for cronjob in cronjobs:
            name, spec = cronjob["metadata"]["name"], cronjob["spec"]
            # Schedules and time zones passed the API server's validation as the program wrote them.
            assert (spec["schedule"], spec.get("timeZone")) == (mocked[name]["schedule"], mocked[name].get("timeZone"))
            job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": f"{name}-e2e"}, "spec": spec["jobTemplate"]["spec"]}
            api.create(f"/apis/batch/v1/namespaces/{ns}/jobs", job)
        for cronjob in cronjobs:
            job = f"{cronjob['metadata']['name']}-e2e"
            pods = wait_for(f"a pod of Job {job}", lambda: api.items(f"/api/v1/namespaces/{ns}/pods", labelSelector=f"job-name={job}"), 120)
            assert pods[0]["spec"]["nodeName"] in NODES
            failed = [e["message"] for e in api.items(f"/api/v1/namespaces/{ns}/events") if e["reason"] == "FailedCreate" and e["involvedObject"]["name"] == job]
            assert failed == []
        for cronjob in cronjobs:
            api.request("DELETE", f"/apis/batch/v1/namespaces/{ns}/jobs/{cronjob['metadata']['name']}-e2e", {"propagationPolicy": "Foreground"})
        wait_for("e2e Jobs and their pods gone", lambda: not any(p["metadata"]["name"].endswith("-e2e") or "job-name" in p["metadata"].get("labels", {}) for p in api.items(f"/api/v1/namespaces/{ns}/pods")))

    def test_services_have_endpoints_and_ingresses_an_address(self, cluster):
        api, ns = cluster.api, self.namespace
        for service in api.items(f"/api/v1/namespaces/{ns}/services"):
            name = service["metadata"]["name"]
            if not service["spec"].get("selector"):
                continue  # the ingress blackhole: no endpoints on purpose
            slices = api.items(f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", labelSelector=f"kubernetes.io/service-name={name}")
            ready = [e for s in slices for e in s.get("endpoints") or [] if e.get("conditions", {}).get("ready")]
            assert ready, f"Service {name} has no ready endpoint"
        ingresses = api.items(f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses")
        assert len(ingresses) == 3 and all(i["status"]["loadBalancer"]["ingress"] for i in ingresses)
        # Some policies live beside the exporters they guard, outside the stack's namespace.
        policies = [o for o in self.state["objects"] if o["kind"] == "NetworkPolicy"]
        assert len(policies) == len(self.state["mocked"].kubernetes("NetworkPolicy"))
        for policy in policies:
            assert api.exists(api.path("networking.k8s.io/v1", "NetworkPolicy", policy["namespace"], policy["name"]))

    def test_stack_output_shows_urls_and_hides_passwords(self, project):
        output = project.run(*self.state["output_args"]).stdout
        mocked = self.state["mocked"].outputs
        for key in URL_OUTPUTS:
            assert f"{mocked[key]}" in output and mocked[key].startswith("http"), key
        for key in SECRET_OUTPUTS:
            line = next(line for line in output.splitlines() if line.split()[:1] == [key])
            assert line.split()[1] == "[secret]", line
        shown = project.run("stack", "output", "--show-secrets", "grafanaAdminPassword").stdout.strip()
        assert len(shown) >= 16 and shown not in output

    def test_a_second_up_changes_nothing(self, project):
        up = timed("second_up", self.STACK, lambda: project.run("up", "--yes"))
        RESULTS[self.STACK]["second_up"] = up.summary()
        assert up.summary() == {"unchanged": len(self.state["mocked"].resources) + 1}, up.stdout[-3000:]
        refreshed = timed("refresh_preview", self.STACK, lambda: project.run("preview", "--refresh", "--expect-no-changes"))
        assert set(refreshed.summary()) == {"unchanged"}, refreshed.stdout[-3000:]

    def test_a_threshold_change_updates_one_config_map_in_place(self, project, cluster):
        api, ns = cluster.api, self.namespace
        before = {(o["kind"], o["name"]): api.get(api.path(o["apiVersion"], o["kind"], o["namespace"], o["name"]))["metadata"] for o in self.state["objects"]}
        rules = project.dir / RULE_FILE
        text = rules.read_text()
        assert text.count(THRESHOLD) == 1
        rules.write_text(text.replace(THRESHOLD, CHANGED))
        try:
            self._change_threshold(project, api, ns, before)
        finally:
            rules.write_text(text)  # the next stack starts from the repository's rules

    def _change_threshold(self, project, api, ns, before):
        diff = project.run("preview", "--diff")
        RESULTS[self.STACK]["threshold_preview"] = diff.summary()
        RESULTS[self.STACK]["threshold_diff"] = [line for line in diff.stdout.splitlines() if line.lstrip().startswith(("~", "+", "-")) or "0.06" in line or "0.05" in line]
        unchanged = len(self.state["mocked"].resources)
        assert diff.summary() == {"update": 1, "unchanged": unchanged}, diff.stdout[-4000:]
        assert "kubernetes:core/v1:ConfigMap" in diff.stdout and "prometheus-rules" in diff.stdout and "replace" not in diff.stdout
        up = timed("threshold_up", self.STACK, lambda: project.run("up", "--yes"))
        RESULTS[self.STACK]["threshold_up"] = up.summary()
        assert up.summary() == {"update": 1, "unchanged": unchanged}, up.stdout[-3000:]
        after = {key: api.get(api.path(o["apiVersion"], o["kind"], o["namespace"], o["name"]))["metadata"] for key, o in zip(before, self.state["objects"])}
        # Same objects (no delete and create), and only the rules ConfigMap got a new version.
        assert {key: meta["uid"] for key, meta in after.items()} == {key: meta["uid"] for key, meta in before.items()}
        changed = sorted(key for key in before if before[key]["resourceVersion"] != after[key]["resourceVersion"] and key[0] not in WORKLOADS)
        assert changed == [("ConfigMap", "prometheus-rules")]
        for key in before:
            if key[0] in WORKLOADS:
                assert after[key]["generation"] == before[key]["generation"], f"{key}: pod template changed"
        live = api.get(f"/api/v1/namespaces/{ns}/configmaps/prometheus-rules")
        assert any(CHANGED in text for text in live["data"].values())

    def test_destroy_leaves_nothing(self, project, cluster):
        destroy = timed("destroy", self.STACK, lambda: project.run("destroy", "--yes"))
        RESULTS[self.STACK]["destroy"] = destroy.summary()
        assert destroy.summary() == {"delete": len(self.state["mocked"].resources) + 1}, destroy.stdout[-3000:]
        api = cluster.api
        for obj in self.state["objects"]:
            assert not api.exists(api.path(obj["apiVersion"], obj["kind"], obj["namespace"], obj["name"])), obj
        assert not api.exists(f"/api/v1/namespaces/{self.namespace}")
        assert project.resources(self.STACK) == []


class TestDev(_StackCycle):
    STACK = "dev"
    state: dict = {}


class TestProduction(_StackCycle):
    STACK = "production"
    state: dict = {}


class TestBadSetting:
    """A wrong setting stops `pulumi up` with a message naming it, before any resource exists."""

    STACK = "e2e-bad"

    @pytest.fixture(scope="class")
    def bad_stack(self, project):
        project.stack_file(self.STACK).write_text(project.stack_file("dev").read_text())
        project.run("login", f"file://{project.state}")
        project.run("stack", "init", self.STACK)
        for key, value in secret_values("dev").items():
            project.run("config", "set", "--secret", key, value)
        return project

    def _refused(self, project, cluster, key: str):
        up = project.run("up", "--yes", check=False)
        assert up.returncode != 0 and key in up.output, up.output[-3000:]
        left = [r["type"] for r in project.resources(self.STACK) if r["type"] != "pulumi:pulumi:Stack" and not r["type"].startswith("pulumi:providers:")]
        assert left == []
        assert not cluster.api.exists("/api/v1/namespaces/monitoring")
        return up.output

    def test_the_cli_refuses_a_value_of_the_wrong_type(self, bad_stack, cluster):
        bad_stack.run("config", "set", "prometheusReplicas", "two")
        output = self._refused(bad_stack, cluster, "prometheusReplicas")
        assert "must be of type 'integer'" in output
        bad_stack.run("config", "set", "prometheusReplicas", "1")

    def test_the_program_refuses_an_invalid_value(self, bad_stack, cluster):
        bad_stack.run("config", "set", "prometheusRetention", "thirty days")
        self._refused(bad_stack, cluster, "prometheusRetention")
