"""Runs the real Pulumi program (`__main__.py`) under the engine's mocks and records what it creates.

There is no cluster and no Pulumi CLI where the tests run; `pulumi.runtime.set_mocks` stands in for
the engine only. Everything the program does — settings, components, rendering — runs for real.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import run_pulumi_func
from pulumi.runtime.rpc import _special_secret_sig, _special_sig_key
from pulumi.runtime.sync_await import _sync_await

from model.settings import PROJECT, SECRETS, read_stack_file

ROOT = Path(__file__).resolve().parent.parent


def is_secret(value: Any) -> bool:
    """True for a value the engine received as a Pulumi secret."""
    return isinstance(value, dict) and value.get(_special_sig_key) == _special_secret_sig


def whole(value: Any) -> Any:
    """The engine hands every number over as a float; Kubernetes wants its integers back."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict) and not is_secret(value):
        return {key: whole(item) for key, item in value.items()}
    if isinstance(value, list):
        return [whole(item) for item in value]
    if is_secret(value):
        return {**value, "value": whole(value["value"])}
    return value


def sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [sorted_keys(item) for item in value]
    return value


def unwrap(value: Any) -> Any:
    """The value with every secret wrapper removed (what the cluster would receive)."""
    if is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


@dataclass
class Resource:
    type: str
    name: str
    inputs: dict

    @property
    def is_kubernetes(self) -> bool:
        return self.type.startswith("kubernetes:")

    @property
    def kind(self) -> str:
        return self.type.rsplit(":", 1)[1]

    def manifest_order(self) -> dict:
        """The inputs with apiVersion, kind and metadata first, as people write manifests.

        Everything below is sorted: the engine's maps come without a stable order, and a rendered
        file must change only when its content does.
        """
        first = ("apiVersion", "kind", "metadata")
        ordered = sorted_keys(self.inputs)
        return {**{key: ordered[key] for key in first if key in ordered}, **{k: v for k, v in ordered.items() if k not in first}}

    @property
    def manifest(self) -> dict:
        """The Kubernetes object as the cluster would get it (secrets unwrapped)."""
        return unwrap(self.inputs)


# The cluster the mocks stand for: the objects the program reads from it (get functions), by type and
# id. Its API server's endpoints are documentation addresses (RFC 5737), no real cluster's.
MOCK_API_SERVER_ADDRESSES = ("192.0.2.10", "192.0.2.11")
MOCK_API_SERVER_PORT = 6443
MOCK_CLUSTER = {
    ("kubernetes:discovery.k8s.io/v1:EndpointSlice", "default/kubernetes"): {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"kubernetes.io/service-name": "kubernetes"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [address], "conditions": {"ready": True}} for address in MOCK_API_SERVER_ADDRESSES],
        "ports": [{"name": "https", "port": MOCK_API_SERVER_PORT, "protocol": "TCP"}],
    },
}


@dataclass
class Run:
    resources: list[Resource] = field(default_factory=list)
    reads: list[Resource] = field(default_factory=list)  # read from the cluster (get functions), not created
    outputs: dict[str, Any] = field(default_factory=dict)  # values unwrapped
    secret_outputs: set[str] = field(default_factory=set)

    def kubernetes(self, kind: Optional[str] = None) -> list[Resource]:
        return [r for r in self.resources if r.is_kubernetes and (kind is None or r.kind == kind)]

    def get(self, kind: str, name: str) -> Resource:
        matches = [r for r in self.kubernetes(kind) if r.inputs.get("metadata", {}).get("name") == name]
        if len(matches) != 1:
            raise KeyError(f"{kind}/{name}: found {len(matches)}")
        return matches[0]


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, run: Run, cluster: Optional[dict] = None):
        self.run = run
        self.cluster = MOCK_CLUSTER if cluster is None else cluster

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        if args.resource_id:  # a get function: the object is read from the cluster, not created
            self.run.reads.append(Resource(args.typ, args.name, {"id": args.resource_id}))
            key = (args.typ, args.resource_id)
            if key not in self.cluster:
                raise KeyError(f"the mocked cluster has no {args.typ} {args.resource_id}")
            return args.resource_id, copy.deepcopy(self.cluster[key])
        self.run.resources.append(Resource(args.typ, args.name, whole(args.inputs)))
        state = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            # Deterministic stand-in for the generated value, unique per resource.
            state["result"] = "generated-" + hashlib.sha256(args.name.encode()).hexdigest()[:24]
        if args.typ == "random:index/randomString:RandomString":
            # Deterministic, of the requested length, from letters and digits (valid in every alphabet asked for).
            digest = hashlib.sha256(args.name.encode()).hexdigest() * 4
            state["result"] = digest[: int(args.inputs.get("length", 16))]
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def stack_config(stack: str, overrides: Optional[dict[str, Any]] = None, secrets: Optional[dict[str, str]] = None, root: Path = ROOT) -> tuple[dict, list]:
    """Engine config for a stack: its Pulumi.<stack>.yaml, overrides, and secret values."""
    values = {**read_stack_file(root / f"Pulumi.{stack}.yaml"), **(overrides or {})}
    config = {f"{PROJECT}:{key}": value if isinstance(value, str) else _json(value) for key, value in values.items() if value is not None}
    secret_keys = []
    for key, value in (secrets or {}).items():
        config[f"{PROJECT}:{key}"] = value
        secret_keys.append(f"{PROJECT}:{key}")
    return config, secret_keys


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def placeholder_secrets() -> dict[str, str]:
    """A value for every secret a stack may require: what `make render` uses in place of the real ones.

    Secrets that are generated when unset (admin and basic-auth passwords) get none, so the
    pulumi-random path is what renders.
    """
    return {spec.key: f"placeholder-{spec.key}" for spec in SECRETS if spec.required_if is not None}


def run_program(stack: str, overrides: Optional[dict[str, Any]] = None, secrets: Optional[dict[str, str]] = None, root: Path = ROOT,
                record_into: Optional[Run] = None, cluster: Optional[dict] = None) -> Run:
    """Run __main__.py for `stack` under mocks; return every resource it registered and its outputs.
    `record_into` receives the resources as they register, so a caller still sees them if the program fails.
    `cluster`: what get functions find, instead of MOCK_CLUSTER."""
    config, secret_keys = stack_config(stack, overrides, placeholder_secrets() if secrets is None else secrets, root)
    run = record_into if record_into is not None else Run()
    runtime_settings.ROOT.set(None)
    runtime_config.set_all_config(config, secret_keys)
    pulumi.runtime.set_mocks(RecordingMocks(run, cluster), project=PROJECT, stack=stack, preview=False)
    # As pulumi.runtime.test does: nothing a failed earlier run left (its RPCs, outputs) belongs to this one.
    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()
    stack_resource = runtime_settings.get_root_resource()

    def program():
        runpy.run_path(str(root / "__main__.py"), run_name="__main__")
        return pulumi.Output.all(**stack_resource.outputs) if stack_resource.outputs else None

    async def collect():
        await run_pulumi_func(program)

    try:
        _sync_await(collect())
    except BaseException:
        _cancel_leftovers()
        raise
    for name, output in stack_resource.outputs.items():
        value, secret = _resolve(output)
        run.outputs[name] = value
        if secret:
            run.secret_outputs.add(name)
    return run


def _cancel_leftovers() -> None:
    """After a failed run, its other registrations are still pending on the shared event loop: left
    alone they would run during the next run, and report their errors there."""
    loop = asyncio.get_event_loop()
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _resolve(output: pulumi.Output) -> tuple[Any, bool]:
    async def both():
        return await output.future(), await output.is_secret()

    return _sync_await(both())
