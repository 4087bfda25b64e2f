"""The API server's addresses in the egress policies: configured, or read from the cluster's
EndpointSlice default/kubernetes at deploy time (components/api_server.py), under Pulumi's mocks,
whose get functions answer from a mocked cluster (tools/pulumi_engine.py)."""

from __future__ import annotations

import copy

import pytest

from components.api_server import ENDPOINT_SLICE, from_endpoints, host_cidr
from tools.pulumi_engine import MOCK_API_SERVER_ADDRESSES, MOCK_CLUSTER, run_program

SLICE_KEY = ("kubernetes:discovery.k8s.io/v1:EndpointSlice", ENDPOINT_SLICE)
POLICIES = ("allow-prometheus", "allow-kube-state-metrics")


def api_server_rule(run, policy: str) -> dict:
    """The one egress rule of `policy` that reaches the API server (its ports include 6443)."""
    (rule,) = [rule for rule in run.get("NetworkPolicy", policy).manifest["spec"]["egress"]
               if any(port["port"] == 6443 for port in rule.get("ports", []))]
    return rule


def cidrs(rule: dict) -> list[str]:
    return [peer["ipBlock"]["cidr"] for peer in rule["to"]]


def ports(rule: dict) -> set[int]:
    return {port["port"] for port in rule["ports"]}


def cluster_with(addresses: list[str], port: int) -> dict:
    cluster = copy.deepcopy(MOCK_CLUSTER)
    cluster[SLICE_KEY]["endpoints"] = [{"addresses": [address]} for address in addresses]
    cluster[SLICE_KEY]["ports"] = [{"name": "https", "port": port, "protocol": "TCP"}]
    return cluster


def test_addresses_become_host_cidrs_and_the_ports_join_the_usual_ones():
    assert host_cidr("10.0.1.5") == "10.0.1.5/32" and host_cidr("fd00::5") == "fd00::5/128"
    api = from_endpoints(["10.0.1.6", "10.0.1.5", "10.0.1.5"], [8443.0])
    assert api.cidrs == ("10.0.1.5/32", "10.0.1.6/32") and api.ports == (443, 6443, 8443)
    with pytest.raises(ValueError, match="not an IP"):
        host_cidr("not an IP")


def test_an_empty_endpoint_slice_is_refused_naming_the_setting():
    with pytest.raises(ValueError, match=r"waqiti-monitoring:networkApiServerCidrs is unset and the cluster's EndpointSlice default/kubernetes lists no address"):
        from_endpoints([], [6443])


@pytest.mark.parametrize("stack", ["production", "dev"])
def test_unset_the_policies_hold_the_endpoint_addresses_read_from_the_cluster(stack):
    run = run_program(stack)
    assert [(read.type, read.inputs["id"]) for read in run.reads] == [SLICE_KEY]  # read once, for both policies
    assert not [r for r in run.resources if r.type == SLICE_KEY[0]]  # read, never created (nor deleted)
    for policy in POLICIES:
        rule = api_server_rule(run, policy)
        assert cidrs(rule) == [f"{address}/32" for address in MOCK_API_SERVER_ADDRESSES]
        assert ports(rule) == {443, 6443}


def test_what_the_cluster_says_is_what_the_policies_allow():
    run = run_program("production", cluster=cluster_with(["10.20.30.40"], 8443))
    for policy in POLICIES:
        rule = api_server_rule(run, policy)
        assert cidrs(rule) == ["10.20.30.40/32"] and ports(rule) == {443, 6443, 8443}


def test_configured_addresses_are_used_as_given_and_nothing_is_read():
    run = run_program("production", overrides={"networkApiServerCidrs": ["10.0.0.0/29"]}, cluster={})
    assert run.reads == []
    for policy in POLICIES:
        rule = api_server_rule(run, policy)
        assert cidrs(rule) == ["10.0.0.0/29"] and ports(rule) == {443, 6443}


def test_a_cluster_without_api_server_endpoints_stops_the_deploy_naming_the_setting():
    with pytest.raises(Exception, match="networkApiServerCidrs is unset") as caught:
        run_program("production", cluster=cluster_with([], 6443))
    assert "kubectl get endpointslice -n default kubernetes" in str(caught.value)
