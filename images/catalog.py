"""The images this repository builds: the name of each repository in the registry and its Dockerfile."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Image:
    repository: str  # under the registry's owner, e.g. ghcr.io/<owner>/<repository>
    package: str  # the directory with the Dockerfile, the code and requirements.txt
    python: bool = True  # a Python program with locked requirements; else a Debian package as it comes

    @property
    def dockerfile(self) -> Path:
        return ROOT / self.package / "Dockerfile"

    @property
    def requirements(self) -> Path:
        return ROOT / self.package / "requirements.txt"

    @property
    def lock(self) -> Path:
        """Every distribution the image installs, pinned with its hash (`python -m images lock`)."""
        return ROOT / self.package / "requirements.lock"

    @property
    def local(self) -> str:
        """What `make images` tags the build with here."""
        return f"localhost/waqiti/{self.repository}:build"


IMAGES = {
    "exporter": Image("business-metrics-exporter", "exporter"),
    "reporter": Image("sla-reporter", "reporter"),
    "ingress-auth": Image("ingress-auth", "ingress-auth", python=False),
}
PYTHON_IMAGES = {name: image for name, image in IMAGES.items() if image.python}
