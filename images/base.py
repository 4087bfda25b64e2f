"""The base image both Dockerfiles start from, made from Debian's packages where no registry is reachable.

GitHub pulls `debian:bookworm-slim` from its registry. Here the same Debian release is bootstrapped
with mmdebstrap (minbase, merged /usr, documentation left out as in the slim image), imported with
podman under the very same name, and the builds run with --pull=never, so the Dockerfiles are
identical in both places. The tarball is cached per ISO week: a second `make images` reuses it, and
security updates arrive within a week.
"""
from __future__ import annotations

import datetime
import os
import re
import subprocess
import time
from pathlib import Path

from images.podman import image_exists, inspect_image, podman

MIRRORS = (
    "deb http://deb.debian.org/debian bookworm main",
    "deb http://deb.debian.org/debian bookworm-updates main",
    "deb http://deb.debian.org/debian-security bookworm-security main",
)
SLIM_EXCLUDES = ("path-exclude=/usr/share/man/*", "path-exclude=/usr/share/doc/*",
                 "path-include=/usr/share/doc/*/copyright", "path-exclude=/usr/share/locale/*",
                 "path-exclude=/usr/share/info/*")
KEY_LABEL = "org.waqiti.base-key"
MERGED_USR_HOOK = "/usr/share/mmdebstrap/hooks/merged-usr"


def base_reference(dockerfile: Path) -> str:
    """The `ARG BASE=` default of a Dockerfile: the one place the base's name is written."""
    match = re.search(r"^ARG BASE=(\S+)$", dockerfile.read_text(), re.MULTILINE)
    if not match:
        raise ValueError(f"{dockerfile}: expected an `ARG BASE=<image>` line naming the base image")
    return match.group(1)


def cache_key(today: datetime.date | None = None) -> str:
    year, week, _ = (today or datetime.date.today()).isocalendar()
    return f"bookworm-{year}w{week:02d}"


def cache_dir() -> Path:
    return Path(os.environ.get("WAQITI_IMAGE_CACHE", Path.home() / ".cache" / "waqiti-images"))


def bootstrap(tarball: Path) -> None:
    """mmdebstrap into tarball (written whole or not at all)."""
    partial = tarball.with_suffix(".partial.tar")
    argv = ["mmdebstrap", "--variant=minbase", "--quiet", f"--hook-dir={MERGED_USR_HOOK}",
            *(f"--dpkgopt={option}" for option in SLIM_EXCLUDES), "bookworm", str(partial), *MIRRORS]
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"mmdebstrap failed ({result.returncode}):\n{result.stderr[-3000:]}")
    partial.rename(tarball)


def ensure_base(reference: str, log=print) -> None:
    """Makes `reference` (e.g. docker.io/library/debian:bookworm-slim) unless this week's is there."""
    key = cache_key()
    if image_exists(reference) and inspect_image(reference).get("Labels", {}).get(KEY_LABEL) == key:
        return
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    tarball = directory / f"{key}.tar"
    if not tarball.exists():
        log(f"images: bootstrapping Debian {key} with mmdebstrap (about a minute)")
        started = time.monotonic()
        bootstrap(tarball)
        log(f"images: base tarball made in {time.monotonic() - started:.0f}s")
        for old in directory.glob("bookworm-*.tar"):
            if old != tarball:
                old.unlink()
    # What the registry's image sets: a shell as the default command and the standard PATH.
    podman("import", "--change", f"LABEL {KEY_LABEL}={key}", "--change", 'CMD ["bash"]',
           "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           str(tarball), reference)
    log(f"images: {reference} imported from {tarball.name}")
