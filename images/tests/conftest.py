"""Fixtures: the two images (built now unless podman's layer cache already has them: `make test`
builds them first) and the production stack's rendered manifests, read as the kubelet reads them."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from images import build
from tools import render
from tools.pulumi_engine import run_program


@pytest.fixture(scope="session")
def images() -> dict[str, build.Built]:
    return {built.name: built for built in build.build(log=lambda message: None)}


@pytest.fixture(scope="session")
def production(tmp_path_factory) -> Path:
    """build/production/ as `make render` writes it."""
    out = tmp_path_factory.mktemp("rendered") / "production"
    render.write(run_program("production"), out)
    return out


@pytest.fixture(scope="session")
def manifests(production) -> dict[str, dict]:
    return {path.stem: yaml.safe_load(path.read_text()) for path in (production / "manifests").glob("*.yaml")}
