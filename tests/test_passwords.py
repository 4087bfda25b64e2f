"""Generated passwords that moved into their components keep their state: each declares an alias
to the URN it had when the stack itself created it, so `pulumi up` on a deployed stack keeps the
password instead of replacing it (and with it every login that uses it)."""

from __future__ import annotations

import pytest
from pulumi.runtime import mocks

from tools.pulumi_engine import run_program

RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
# The URNs these passwords had before the move, as the engine recorded them when MonitoringStack
# ("waqiti:monitoring:Stack") was their parent: read from a run of the program before the move.
FORMER_URNS = {
    name: f"urn:pulumi:production::waqiti-monitoring::waqiti:monitoring:Stack${RANDOM_PASSWORD}::{name}"
    for name in ("grafana-admin-password", "grafana-secret-key", "grafana-renderer-token", "ingress-basic-auth-password")
}


class AliasRecordingMonitor(mocks.MockMonitor):
    """The mock engine, also recording each resource's aliases as the URNs the engine derives from them."""

    def __init__(self, mock):
        super().__init__(mock)
        self.aliases: dict[str, list[str]] = {}

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        self.aliases[response.urn] = [self._alias_urn(request, alias) for alias in request.aliases]
        return response

    def _alias_urn(self, request, alias) -> str:
        if alias.urn:
            return alias.urn
        spec = alias.spec  # unset fields mean "as the resource is now"
        parent = "" if spec.noParent else spec.parentUrn or request.parent
        return self.make_urn(parent, spec.type or request.type, spec.name or request.name)


@pytest.fixture(scope="module")
def production_aliases(monkeypatch_module) -> dict[str, list[str]]:
    monitors: list[AliasRecordingMonitor] = []
    set_mocks = mocks.set_mocks

    def recording_set_mocks(mock, **kwargs):
        monitors.append(AliasRecordingMonitor(mock))
        return set_mocks(mock, monitor=monitors[-1], **kwargs)

    monkeypatch_module.setattr("pulumi.runtime.set_mocks", recording_set_mocks)
    run_program("production")
    return monitors[-1].aliases


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_each_moved_password_is_aliased_to_its_former_urn(production_aliases):
    passwords = {urn.rsplit("::", 1)[1]: urn for urn in production_aliases if f"${RANDOM_PASSWORD}::" in urn}
    assert sorted(passwords) == sorted(FORMER_URNS)
    for name, urn in passwords.items():
        assert urn != FORMER_URNS[name], f"{name} no longer moved: drop its alias"
        assert production_aliases[urn] == [FORMER_URNS[name]], name


def test_generated_values_that_never_moved_declare_no_alias(production_aliases):
    # the htpasswd salt was always the Ingress's own (the Kubernetes SDK aliases its types itself)
    generated = {urn: aliases for urn, aliases in production_aliases.items() if "$random:" in urn}
    assert "ingress-basic-auth-salt" in {urn.rsplit("::", 1)[1] for urn in generated}
    assert {urn for urn, aliases in generated.items() if aliases} == {
        urn for urn in generated if urn.rsplit("::", 1)[1] in FORMER_URNS}
