"""Every rendered Kubernetes object is valid for the cluster versions we support, in strict mode."""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from tests.conftest import STACKS

VERSIONS = ("1.30.0", kubernetes_validate.latest_version())


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("stack", STACKS)
def test_every_manifest_validates_strictly(rendered, stack, version):
    manifests = sorted((rendered[stack] / "manifests").glob("*.yaml"))
    assert len(manifests) > 30
    failures = []
    for path in manifests:
        try:
            kubernetes_validate.validate(yaml.safe_load(path.read_text()), version, strict=True)
        except kubernetes_validate.ValidationError as error:
            failures.append(f"{path.name}: {error.message} at {'/'.join(map(str, error.path))}")
    assert failures == []


def test_a_wrong_field_would_be_caught():
    # The check above means something only if strict mode rejects an unknown field.
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "dataa": {}}, VERSIONS[0], strict=True
        )
