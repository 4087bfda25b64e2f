"""The README's deploy steps are the commands the real-engine tier (`make e2e`) runs, in its order."""

from __future__ import annotations

import re
import shlex

from e2e.deploy import deploy_commands, required_secrets
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def deploy_block() -> list[str]:
    section = README[README.index("## Deploying") :]
    start = section.index("```bash\n") + len("```bash\n")
    return section[start : section.index("```", start)].splitlines()


def words(args: list[str]) -> list[str]:
    """A command without its values: the login backend and the secrets' values differ per run."""
    if args[:3] == ["config", "set", "--secret"]:
        return args[:4]
    if args[:1] == ["login"]:
        return args[:1]
    return args


def test_the_readme_deploy_block_is_what_the_tier_runs():
    documented = [words(shlex.split(line.split("#", 1)[0])[1:]) for line in deploy_block() if line.startswith("pulumi ")]
    values = dict.fromkeys(required_secrets("production"), "value")
    assert documented == [words(args) for args in deploy_commands("production", "file:///state", values)]


def test_the_readme_names_dev_s_secrets():
    listed = re.search(r"dev needs only ([\w, ]+)\.", README).group(1)
    assert [key.strip() for key in listed.split(",")] == required_secrets("dev")
