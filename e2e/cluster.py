"""A throwaway Kubernetes control plane on 127.0.0.1 for the real-engine tier.

etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (two fake nodes that run
every scheduled pod without a kubelet), with certificates made for this run only and a
kubeconfig. Besides, it plays two parts a real cluster has and this one lacks:

- storage: a default StorageClass (and the production stack's `gp3`) whose volumes a small
  provisioner here creates for each claim, so the PV controller binds them as it would on a cloud;
- an ingress controller: the `nginx` IngressClass, and every Ingress of that class gets the
  load-balancer address 127.0.0.1 written to its status, as ingress-nginx would.

Everything it starts runs in its own process group and is killed by `stop()`; it never reads or
writes any kubeconfig but its own.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

LOOPBACK = "127.0.0.1"
# The address the API server publishes for itself in the `kubernetes` Endpoints and EndpointSlice,
# which refuse loopback addresses. A documentation address (RFC 5737): nothing here connects to it
# (every client uses the kubeconfig's 127.0.0.1), but the stack reads it for its egress policies.
ADVERTISED_ADDRESS = "192.0.2.1"
NODES = ("kwok-node-0", "kwok-node-1")
FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node"
STORAGE_CLASSES = {"standard": True, "gp3": False}  # name -> is the cluster default
PROVISIONER = "e2e.waqiti.example.com/hostpath"
INGRESS_CLASS = "nginx"
SERVICE_CIDR = "10.96.0.0/16"
# kwok's own stages: nodes become Ready and report a heartbeat every 20-45 s, pods run, Job pods
# complete, deleted pods go.
KWOK_STAGES = (
    "node/fast/node-initialize.yaml",
    "node/heartbeat/node-heartbeat.yaml",
    "pod/fast/pod-ready.yaml",
    "pod/fast/pod-complete.yaml",
    "pod/fast/pod-delete.yaml",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- certificates


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())


def _cert(subject: x509.Name, key, issuer: x509.Name, issuer_key, *, ca: bool = False, sans=None, usage=None) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        # Key identifiers: strict verifiers (urllib3 2, Go) refuse chains without them.
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if usage:
        builder = builder.add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
        builder = builder.add_extension(x509.ExtendedKeyUsage(usage), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _name(cn: str, org: Optional[str] = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(parts)


def make_pki(directory: Path) -> None:
    """CA, API server serving cert, an admin client (system:masters), service-account keys."""
    ca_key = _key()
    ca_name = _name("waqiti-e2e-ca")
    ca = _cert(ca_name, ca_key, ca_name, ca_key, ca=True)
    server_key = _key()
    server = _cert(
        _name("kube-apiserver"),
        server_key,
        ca_name,
        ca_key,
        sans=[
            x509.IPAddress(ipaddress.ip_address(LOOPBACK)),
            x509.IPAddress(ipaddress.ip_address("10.96.0.1")),
            x509.DNSName("localhost"),
            x509.DNSName("kubernetes.default.svc"),
        ],
        usage=[x509.oid.ExtendedKeyUsageOID.SERVER_AUTH],
    )
    admin_key = _key()
    admin = _cert(_name("e2e-admin", "system:masters"), admin_key, ca_name, ca_key, usage=[x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH])
    sa_key = _key()
    files = {
        "ca.crt": ca.public_bytes(serialization.Encoding.PEM),
        "server.crt": server.public_bytes(serialization.Encoding.PEM),
        "server.key": _pem_key(server_key),
        "admin.crt": admin.public_bytes(serialization.Encoding.PEM),
        "admin.key": _pem_key(admin_key),
        "sa.key": _pem_key(sa_key),
        "sa.pub": sa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    }
    for name, content in files.items():
        (directory / name).write_bytes(content)
        (directory / name).chmod(0o600)


def kubeconfig(directory: Path, server: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "e2e", "cluster": {"server": server, "certificate-authority": str(directory / "ca.crt")}}],
        "users": [{"name": "e2e-admin", "user": {"client-certificate": str(directory / "admin.crt"), "client-key": str(directory / "admin.key")}}],
        "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "e2e-admin"}}],
        "current-context": "e2e",
    }


# ---------------------------------------------------------------- API access


class ApiError(RuntimeError):
    def __init__(self, status: int, body: str, what: str):
        super().__init__(f"{what}: HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


@dataclass
class Api:
    """The few REST calls the tier needs, with the admin certificate (no kubectl)."""

    server: str
    directory: Path
    session: requests.Session = field(init=False)

    def __post_init__(self):
        self._discovery: dict[str, dict[str, dict]] = {}
        self.session = requests.Session()
        # Only this cluster's CA, and no proxy: the environment's CA bundle and proxies do not apply.
        self.session.trust_env = False
        self.session.cert = (str(self.directory / "admin.crt"), str(self.directory / "admin.key"))
        self.session.verify = str(self.directory / "ca.crt")

    def request(self, method: str, path: str, body: Any = None, *, ok=(200, 201, 202), content_type="application/json", params=None) -> dict:
        data = None if body is None else json.dumps(body)
        response = self.session.request(method, self.server + path, data=data, headers={"Content-Type": content_type}, params=params, timeout=30)
        if response.status_code not in ok:
            raise ApiError(response.status_code, response.text, f"{method} {path}")
        return response.json() if response.content else {}

    def get(self, path: str, **kw) -> dict:
        return self.request("GET", path, **kw)

    def items(self, path: str, **params) -> list[dict]:
        return self.get(path, params=params or None)["items"]

    def exists(self, path: str) -> bool:
        return self.session.get(self.server + path, timeout=30).status_code == 200

    def create(self, path: str, body: dict) -> dict:
        return self.request("POST", path, body)

    def path(self, api_version: str, kind: str, namespace: Optional[str] = None, name: Optional[str] = None) -> str:
        """The REST path of a kind (and object), from the API server's discovery."""
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if base not in self._discovery:
            self._discovery[base] = {r["kind"]: r for r in self.get(base)["resources"] if "/" not in r["name"]}
        resource = self._discovery[base][kind]
        path = base + (f"/namespaces/{namespace}" if resource["namespaced"] and namespace else "") + "/" + resource["name"]
        return path + (f"/{name}" if name else "")

    def apply_status(self, path: str, status: dict) -> dict:
        return self.request("PATCH", path + "/status", {"status": status}, content_type="application/merge-patch+json")


# ---------------------------------------------------------------- processes


@dataclass
class Cluster:
    bin_dir: Path
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="waqiti-e2e-")))
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    server: str = ""
    api: Optional[Api] = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def kubeconfig_path(self) -> Path:
        return self.workdir / "kubeconfig"

    def log(self, name: str) -> Path:
        return self.workdir / "logs" / f"{name}.log"

    def _start(self, name: str, args: list[str]) -> None:
        log = open(self.log(name), "wb")
        # A process group of its own: stop() kills it and anything it started.
        self.processes[name] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.workdir)

    def _bin(self, name: str) -> str:
        return str(self.bin_dir / name)

    def start(self) -> "Cluster":
        try:
            (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
            pki = self.workdir / "pki"
            pki.mkdir()
            make_pki(pki)
            self._etcd()
            self._apiserver(pki)
            self.api = Api(self.server, pki)
            self._wait("kube-apiserver", lambda: self.api.session.get(self.server + "/readyz", timeout=5).status_code == 200, 120)
            self.kubeconfig_path.write_text(json.dumps(kubeconfig(pki, self.server)))
            self.kubeconfig_path.chmod(0o600)
            self._controllers(pki)
            self._nodes()
            self._storage_and_ingress()
        except BaseException:
            self.stop(keep=True)
            raise
        return self

    def _etcd(self) -> None:
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://{LOOPBACK}:{client}"
        self._start(
            "etcd",
            [
                self._bin("etcd"),
                "--name=e2e",
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls=http://{LOOPBACK}:{peer}",
                f"--initial-advertise-peer-urls=http://{LOOPBACK}:{peer}",
                f"--initial-cluster=e2e=http://{LOOPBACK}:{peer}",
            ],
        )
        self._wait("etcd", lambda: requests.get(self.etcd_url + "/health", timeout=2).ok, 60)

    def _apiserver(self, pki: Path) -> None:
        port = free_port()
        self.server = f"https://{LOOPBACK}:{port}"
        self._start(
            "kube-apiserver",
            [
                self._bin("kube-apiserver"),
                f"--etcd-servers={self.etcd_url}",
                f"--bind-address={LOOPBACK}",
                f"--advertise-address={ADVERTISED_ADDRESS}",
                f"--secure-port={port}",
                f"--cert-dir={self.workdir / 'apiserver-certs'}",
                f"--tls-cert-file={pki / 'server.crt'}",
                f"--tls-private-key-file={pki / 'server.key'}",
                f"--client-ca-file={pki / 'ca.crt'}",
                f"--service-account-key-file={pki / 'sa.pub'}",
                f"--service-account-signing-key-file={pki / 'sa.key'}",
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--authorization-mode=RBAC",
                # PodSecurity is on by default; named here because the tier depends on it.
                "--enable-admission-plugins=PodSecurity",
                # As on real clusters: privileged pods are allowed in general, so Pod Security is what refuses them.
                "--allow-privileged=true",
                "--enable-priority-and-fairness=false",
                "--profiling=false",
            ],
        )

    def _controllers(self, pki: Path) -> None:
        kc = str(self.kubeconfig_path)
        self._start(
            "kube-controller-manager",
            [
                self._bin("kube-controller-manager"),
                f"--kubeconfig={kc}",
                f"--authentication-kubeconfig={kc}",
                f"--authorization-kubeconfig={kc}",
                f"--bind-address={LOOPBACK}",
                f"--secure-port={free_port()}",
                "--leader-elect=false",
                # kwok's heartbeats come every 20-45 s; on a busy machine more slowly. A node marked
                # NotReady would mark its pods NotReady too, which is not what this tier tests.
                "--node-monitor-grace-period=180s",
                f"--service-account-private-key-file={pki / 'sa.key'}",
                f"--root-ca-file={pki / 'ca.crt'}",
                "--use-service-account-credentials=false",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--profiling=false",
            ],
        )
        self._start(
            "kube-scheduler",
            [self._bin("kube-scheduler"), f"--kubeconfig={kc}", f"--authentication-kubeconfig={kc}", f"--authorization-kubeconfig={kc}", f"--bind-address={LOOPBACK}", f"--secure-port={free_port()}", "--leader-elect=false", "--profiling=false"],
        )
        stages = [self.bin_dir / "kwok-stages" / path for path in KWOK_STAGES]
        (self.workdir / "kwok.yaml").write_text("\n---\n".join(path.read_text() for path in stages))
        self._start(
            "kwok",
            [
                self._bin("kwok"),
                f"--config={self.workdir / 'kwok.yaml'}",
                f"--kubeconfig={kc}",
                "--manage-all-nodes=false",
                f"--manage-nodes-with-annotation-selector={FAKE_NODE_ANNOTATION}=fake",
                f"--server-address={LOOPBACK}:{free_port()}",
                "--cidr=10.244.0.0/16",
                f"--node-ip={LOOPBACK}",
            ],
        )

    def _nodes(self) -> None:
        for name in NODES:
            self.api.create(
                "/api/v1/nodes",
                {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "metadata": {
                        "name": name,
                        "annotations": {FAKE_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
                        "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "type": "kwok"},
                    },
                    "status": {"allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"}, "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"}},
                },
            )

        def ready():
            nodes = self.api.items("/api/v1/nodes")
            return len(nodes) == len(NODES) and all(
                any(c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions", [])) for n in nodes
            )

        self._wait("kwok nodes Ready", ready, 120)
        # The default service account appears once the controller-manager runs.
        self._wait("default ServiceAccount", lambda: self.api.exists("/api/v1/namespaces/default/serviceaccounts/default"), 120)

    def _storage_and_ingress(self) -> None:
        for name, default in STORAGE_CLASSES.items():
            annotations = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
            self.api.create(
                "/apis/storage.k8s.io/v1/storageclasses",
                {
                    "apiVersion": "storage.k8s.io/v1",
                    "kind": "StorageClass",
                    "metadata": {"name": name, "annotations": annotations},
                    "provisioner": PROVISIONER,
                    "reclaimPolicy": "Delete",
                    "volumeBindingMode": "Immediate",
                },
            )
        self.api.create(
            "/apis/networking.k8s.io/v1/ingressclasses",
            {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": INGRESS_CLASS}, "spec": {"controller": "k8s.io/ingress-nginx"}},
        )
        for target in (self._provision_volumes, self._admit_ingresses):
            thread = threading.Thread(target=self._loop, args=(target,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _loop(self, step) -> None:
        while not self._stop.wait(0.5):
            try:
                step()
            except (requests.RequestException, ApiError):
                pass  # the next round retries; the API server may be busy

    def _provision_volumes(self) -> None:
        """A PersistentVolume for each claim of our classes, as an external provisioner makes."""
        pvs = {pv["metadata"]["name"] for pv in self.api.items("/api/v1/persistentvolumes")}
        for pvc in self.api.items("/api/v1/persistentvolumeclaims"):
            meta, spec = pvc["metadata"], pvc["spec"]
            name = f"pvc-{meta['uid']}"
            if pvc.get("status", {}).get("phase") != "Pending" or spec.get("storageClassName") not in STORAGE_CLASSES or name in pvs:
                continue
            self.api.create(
                "/api/v1/persistentvolumes",
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolume",
                    "metadata": {"name": name, "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER}},
                    "spec": {
                        "capacity": {"storage": spec["resources"]["requests"]["storage"]},
                        "accessModes": spec["accessModes"],
                        "persistentVolumeReclaimPolicy": "Delete",
                        "storageClassName": spec["storageClassName"],
                        "hostPath": {"path": str(self.workdir / "volumes" / name)},
                        "claimRef": {"namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"], "apiVersion": "v1", "kind": "PersistentVolumeClaim"},
                    },
                },
            )
        # The PV controller asks the provisioner to delete released volumes; this one just does.
        for pv in self.api.items("/api/v1/persistentvolumes"):
            if pv.get("status", {}).get("phase") in ("Released", "Failed") and pv["spec"].get("storageClassName") in STORAGE_CLASSES:
                self.api.request("DELETE", f"/api/v1/persistentvolumes/{pv['metadata']['name']}", ok=(200, 202, 404))

    def _admit_ingresses(self) -> None:
        for ingress in self.api.items("/apis/networking.k8s.io/v1/ingresses"):
            if ingress["spec"].get("ingressClassName") != INGRESS_CLASS or ingress.get("status", {}).get("loadBalancer", {}).get("ingress"):
                continue
            meta = ingress["metadata"]
            self.api.apply_status(
                f"/apis/networking.k8s.io/v1/namespaces/{meta['namespace']}/ingresses/{meta['name']}", {"loadBalancer": {"ingress": [{"ip": LOOPBACK}]}}
            )

    def _wait(self, what: str, check, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    tail = self.log(name).read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{name} exited with {process.returncode} while waiting for {what}:\n{tail}")
            try:
                if check():
                    return
            except (requests.RequestException, ApiError, OSError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{what} not ready after {timeout} s (logs in {self.workdir / 'logs'})")

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}: see {self.log(name)}")

    def stop(self, keep: bool = False) -> None:
        self._stop.set()
        for name in reversed(list(self.processes)):
            process = self.processes[name]
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
