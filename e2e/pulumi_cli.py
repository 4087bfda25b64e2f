"""The real Pulumi CLI on a copy of the project: a file state backend, the passphrase secrets provider.

The copy keeps the repository's stack files untouched (`pulumi config set --secret` writes into
them); its `venv` is the project's virtualenv, so the language host runs the program with the
pinned SDKs.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
# What the program does not need, or must not see (state of other runs, virtualenvs).
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "venv", ".checkov-venv", "build", "test-output", "__pycache__", ".pytest_cache", "e2e", "bench")

SUMMARY = re.compile(r"^\s+([+~\-]|\+-|-\+)?\s*(\d+) (to create|created|to update|updated|to delete|deleted|to replace|replaced|unchanged)\s*$", re.M)


class PulumiError(RuntimeError):
    pass


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def summary(self) -> dict[str, int]:
        """The "Resources:" counts of preview/up/destroy, e.g. {"create": 64}."""
        counts: dict[str, int] = {}
        for _sign, number, what in SUMMARY.findall(self.stdout):
            word = what.removeprefix("to ")
            key = {"created": "create", "updated": "update", "deleted": "delete", "replaced": "replace"}.get(word, word)
            counts[key] = int(number)
        return counts


@dataclass
class Project:
    """A copy of the project wired to one throwaway backend and cluster."""

    workdir: Path
    bin_dir: Path
    plugin_home: Path
    venv: Path
    kubeconfig: Path

    def __post_init__(self):
        self.dir = self.workdir / "project"
        shutil.copytree(ROOT, self.dir, ignore=COPY_IGNORE)
        (self.dir / "venv").symlink_to(self.venv.resolve())
        self.home = self.workdir / "pulumi-home"
        self.home.mkdir()
        # Plugins installed once by `make e2e-deps`; credentials and workspaces stay in this run.
        (self.home / "plugins").symlink_to(self.plugin_home / "plugins")
        self.state = self.workdir / "state"
        self.state.mkdir()
        self.env = {
            "PATH": f"{self.bin_dir}:{self.venv.resolve() / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.workdir),
            "PULUMI_HOME": str(self.home),
            "PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(24),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "KUBECONFIG": str(self.kubeconfig),
            "NO_COLOR": "1",
            "LANG": "C.UTF-8",
        }
        self.log = self.workdir / "pulumi.log"

    def run(self, *args: str, check: bool = True, timeout: float = 900, stdin: Optional[str] = None, quiet: bool = False) -> Result:
        command = ["pulumi", *args, "--non-interactive", "--color=never"]
        process = subprocess.run(
            command, cwd=self.dir, env=self.env, capture_output=True, text=True, timeout=timeout, input=stdin, executable=str(self.bin_dir / "pulumi")
        )
        result = Result(command, process.returncode, process.stdout, process.stderr)
        with open(self.log, "a") as log:
            shown = result.stderr if quiet else result.output
            log.write(f"$ {' '.join(self._shown(command))}\n{shown}\n[exit {result.returncode}]\n\n")
        if check and result.returncode != 0:
            raise PulumiError(f"{' '.join(self._shown(command))} exited {result.returncode}:\n{result.output[-6000:]}")
        return result

    @staticmethod
    def _shown(command: list[str]) -> list[str]:
        """The command for logs: a secret value never appears there."""
        if command[1:4] == ["config", "set", "--secret"]:
            return command[:5] + ["<secret>"] + command[6:]
        return command

    def export(self, stack: str) -> dict:
        return json.loads(self.run("stack", "export", "--stack", stack, quiet=True).stdout)

    def resources(self, stack: str) -> list[dict]:
        return self.export(stack)["deployment"].get("resources") or []

    def stack_file(self, stack: str) -> Path:
        return self.dir / f"Pulumi.{stack}.yaml"


def environment_versions(bin_dir: Path) -> str:
    version = subprocess.run([str(bin_dir / "pulumi"), "version"], capture_output=True, text=True, env={"PATH": os.environ["PATH"], "PULUMI_SKIP_UPDATE_CHECK": "true"})
    return version.stdout.strip()
