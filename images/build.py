"""Builds the images with podman: the base first (images/base.py), then each Dockerfile from the
repository root with --pull=never, one build at a time (a lock file serialises test workers)."""
from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass

from images.base import base_reference, cache_dir, ensure_base
from images.catalog import IMAGES, ROOT, Image
from images.podman import CONTAINER_FLAGS, inspect_image, podman


@dataclass(frozen=True)
class Built:
    name: str
    reference: str
    image_id: str
    size: int  # bytes, uncompressed, as podman counts them
    seconds: float


@contextmanager
def build_lock():
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


CA_IN_BUILD = "/run/pip-ca.crt"


SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def pip_ca_flags() -> list[str]:
    """This machine's CA bundle for pip inside the build: PIP_CERT's, else the system's (which holds
    a TLS-inspecting proxy's CA where there is one; pip in the build sees neither the environment nor
    /etc/pip.conf). Mounted for the RUN steps only, never part of the image."""
    bundle = next((path for path in (os.environ.get("PIP_CERT", ""), SYSTEM_CA_BUNDLE) if path and os.path.isfile(path)), None)
    if bundle is None:
        return []
    return ["--volume", f"{bundle}:{CA_IN_BUILD}:ro", "--build-arg", f"PIP_CERT={CA_IN_BUILD}"]


def build_one(name: str, image: Image, log=print) -> Built:
    ensure_base(base_reference(image.dockerfile), log)
    started = time.monotonic()
    # docker format keeps HEALTHCHECK (OCI image configs have no field for it).
    podman("build", "--format", "docker", "--pull=never", "--layers", *CONTAINER_FLAGS, *pip_ca_flags(),
           "-f", str(image.dockerfile), "-t", image.local, str(ROOT))
    seconds = time.monotonic() - started
    details = inspect_image(image.local)
    return Built(name, image.local, details["Id"], int(details["Size"]), seconds)


def build(names=None, log=print) -> list[Built]:
    """Builds the named images (default all); unchanged layers come from podman's cache."""
    with build_lock():
        return [build_one(name, IMAGES[name], log) for name in (names or IMAGES)]
