"""Each image's requirements.lock pins exactly what its requirements.txt pins, plus every dependency,
each with a hash (the Dockerfiles install it with --require-hashes)."""
from __future__ import annotations

import re

import pytest

from images.base import base_reference
from images.catalog import IMAGES, PYTHON_IMAGES
from images.lock import pins


@pytest.mark.parametrize("name", PYTHON_IMAGES)
def test_lock_agrees_with_requirements(name):
    image = IMAGES[name]
    locked = pins(image.lock.read_text())
    required = pins(image.requirements.read_text())
    assert required and {key: locked.get(key) for key in required} == required, "run `python -m images lock`"
    entries = [line for line in image.lock.read_text().splitlines() if line and not line.startswith("#")]
    assert len(entries) == len(locked) and all(re.search(r" --hash=sha256:[0-9a-f]{64}$", line) for line in entries)


@pytest.mark.parametrize("name", PYTHON_IMAGES)
def test_dockerfile_installs_the_lock_from_the_shared_base(name):
    dockerfile = IMAGES[name].dockerfile.read_text()
    assert f"COPY {name}/requirements.lock " in dockerfile and "--require-hashes" in dockerfile
    assert base_reference(IMAGES[name].dockerfile) == base_reference(IMAGES["exporter"].dockerfile)
