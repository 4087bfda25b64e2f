"""Silences are the acknowledgement of a page (configs/alertmanager/README.md), so who set one must be
on record: every silence instruction in the runbooks and the READMEs names its author, and says to put
one's own login in the UI's Creator field."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted((ROOT / "docs" / "runbooks").glob("*.md")) + [ROOT / "configs" / "alertmanager" / "README.md", ROOT / "README.md"]
SILENCE = re.compile(r"amtool(?: --alertmanager\.url=\S+)? silence add[^`]*")


def test_every_silence_instruction_names_its_author():
    commands = [(path.name, command) for path in DOCUMENTS for command in SILENCE.findall(path.read_text())]
    assert len(commands) >= 10
    assert not [c for c in commands if '--author="<your name>"' not in c[1] or "--comment=" not in c[1]]


def test_every_document_with_a_silence_says_whose_name_goes_in_the_uis_creator_field():
    documents = [path for path in DOCUMENTS if SILENCE.search(path.read_text())]
    assert len(documents) >= 10
    assert not [path.name for path in documents if not re.search(r"own login in\s+(its\s+)?\*{0,2}Creator", path.read_text())]
