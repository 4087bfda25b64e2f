"""requirements.lock: every distribution an image installs, exact version and sha256, resolved from
the package's requirements.txt for the image's platform (Debian bookworm's Python 3.11 on x86_64,
which is this machine's too). The Dockerfiles install it with --require-hashes."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from images.catalog import Image

PIN = re.compile(r"^([A-Za-z0-9._-]+)(\[[^\]]*\])?==([^\s;#]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    """name -> version of every `name==version` line (extras, hashes and comments ignored)."""
    found = {}
    for line in text.splitlines():
        match = PIN.match(line.strip())
        if match:
            found[canonical(match.group(1))] = match.group(3)
    return found


def resolve(requirements: Path) -> list[dict]:
    """pip's installation report for requirements.txt in an empty environment (nothing installed)."""
    with tempfile.TemporaryDirectory() as scratch:
        venv = Path(scratch) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        report = Path(scratch) / "report.json"
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", "--dry-run",
                        "--ignore-installed", "--only-binary=:all:", "--report", str(report), "-r", str(requirements)],
                       check=True)
        return json.loads(report.read_text())["install"]


def lock_text(image: Image, installs: list[dict]) -> str:
    lines = [f"# {image.package}/requirements.txt resolved for the image: `python -m images lock` rewrites this file.",
             "# Installed with --require-hashes --only-binary=:all: (no compiler in the image)."]
    for item in sorted(installs, key=lambda item: canonical(item["metadata"]["name"])):
        sha256 = item["download_info"]["archive_info"]["hashes"]["sha256"]
        lines.append(f"{canonical(item['metadata']['name'])}=={item['metadata']['version']} --hash=sha256:{sha256}")
    return "\n".join(lines) + "\n"


def write_lock(image: Image) -> Path:
    image.lock.write_text(lock_text(image, resolve(image.requirements)))
    return image.lock
