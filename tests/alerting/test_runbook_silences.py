"""Silences are the acknowledgement of a page (configs/alertmanager/README.md), so who set one must be
on record: every silence instruction in the runbooks and the Alertmanager README names its author."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted((ROOT / "docs" / "runbooks").glob("*.md")) + [ROOT / "configs" / "alertmanager" / "README.md"]
SILENCE = re.compile(r"amtool silence add[^`]*")


def test_every_silence_instruction_names_its_author():
    commands = [(path.name, command) for path in DOCUMENTS for command in SILENCE.findall(path.read_text())]
    assert len(commands) >= 10
    assert not [c for c in commands if '--author="<your name>"' not in c[1] or "--comment=" not in c[1]]
