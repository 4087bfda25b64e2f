"""Benchmark of the image builds (not a test): time and size of each image, built from scratch and
rebuilt unchanged, on this machine.

    python3 bench/bench_images.py [--write]

The Debian base bootstrapped with mmdebstrap (into a scratch file: the cached one stays), a cold
build of each image (--no-cache: every layer rebuilt, packages and wheels fetched again) and then a
warm one (nothing changed: podman's layer cache). Prints a Markdown
section; `--write` replaces the `## Image builds` section of bench/RESULTS.md with it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.results import replace_section  # noqa: E402
from images import build  # noqa: E402
from images.base import bootstrap  # noqa: E402
from images.catalog import IMAGES  # noqa: E402
from images.podman import CONTAINER_FLAGS, podman  # noqa: E402

HEADING = "## Image builds"


def cold_build(name: str) -> float:
    image = IMAGES[name]
    started = time.monotonic()
    podman("build", "--format", "docker", "--pull=never", "--no-cache", *CONTAINER_FLAGS, *build.pip_ca_flags(),
           "-f", str(image.dockerfile), "-t", image.local, str(REPO))
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    build.build()  # the base image, and a first build so that the cold one below measures builds only
    with tempfile.TemporaryDirectory() as scratch:
        started = time.monotonic()
        bootstrap(Path(scratch) / "base.tar")
        base_seconds = time.monotonic() - started
        base_size = (Path(scratch) / "base.tar").stat().st_size
    rows = [f"| Debian base (mmdebstrap, `make images` once a week) | {base_size / 1e6:.0f} MB | {base_seconds:.0f} s | 0 s (cached tarball) |"]
    with build.build_lock():
        cold = {name: cold_build(name) for name in IMAGES}
    for built in build.build():
        rows.append(f"| `{built.reference}` | {built.size / 1e6:.0f} MB | {cold[built.name]:.0f} s | {built.seconds:.1f} s |")
    load = os.getloadavg()[0]
    report = "\n".join([
        HEADING, "",
        f"{dt.date.today()}, {os.cpu_count()} cores (load average {load:.0f} at the end: the machine is shared), "
        "podman with runc, `python3 bench/bench_images.py`. Size: uncompressed, as podman counts it "
        "(budget 250 MB each). Cold: `--no-cache`, every package and wheel fetched again. Warm: unchanged "
        "sources, every layer from podman's cache (what `make test` pays when nothing changed).", "",
        "| image | size | cold build | warm build |", "| --- | --- | --- | --- |", *rows, ""])
    print(report)
    if args.write:
        replace_section(REPO / "bench" / "RESULTS.md", HEADING, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
