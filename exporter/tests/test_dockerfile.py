"""The image's contract with the deployment, checked statically (no Docker engine here)."""
from __future__ import annotations

import re

from .conftest import EXPORTER_DIR

DOCKERFILE = (EXPORTER_DIR / "Dockerfile").read_text()


def instructions(keyword: str) -> list[str]:
    return re.findall(rf"^{keyword}\s+(.+)$", DOCKERFILE, re.MULTILINE)


def test_base_image_is_slim_and_pinned_to_a_version():
    (base,) = instructions("FROM")
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base), base


def test_runs_as_non_root_uid_65532():
    assert instructions("USER") == ["65532:65532"]


def test_installs_only_the_exporter_requirements():
    installs = [line for line in instructions("RUN") if "pip install" in line]
    assert installs and all("-r /app/exporter/requirements.txt" in line for line in installs)
    assert not any("tests" in line for line in instructions("COPY"))


def test_healthcheck_and_entrypoint_match_the_deployment_interface():
    assert "/healthz" in DOCKERFILE.split("HEALTHCHECK", 1)[1]
    assert instructions("ENTRYPOINT") == ['["python", "-m", "exporter"]']
    assert "/etc/exporter/config.yml" in instructions("CMD")[0]
    assert instructions("EXPOSE") == ["9450"]
