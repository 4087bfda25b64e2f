"""The layer rule of README.md's Layout section: each folder imports only the folders below it.

Read from the source with `ast`, so an import inside a function counts as much as one at the top.
Test folders (`tests/`, `<folder>/tests/`) may import anything: they test every layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Folder -> the project folders it may import (README.md, Layout). Not listed: nothing of the project.
MAY_IMPORT = {
    "model": set(),
    "exporter": set(),
    "testsupport": set(),
    "images": set(),
    "reporter": {"model"},
    "render": {"model", "exporter"},
    "components": {"model", "render", "exporter"},
    "__main__": {"model", "components"},
    "tools": {"model", "render", "components", "exporter"},
    "local": {"model", "render", "tools", "testsupport", "images"},
    "bench": {"model", "render", "components", "tools", "local", "testsupport", "images", "exporter", "reporter"},
    "e2e": {"model"},
}


def project_folders() -> set[str]:
    return {path.name for path in ROOT.iterdir() if (path / "__init__.py").exists()} | {"__main__"}


def imported_modules(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def layer_of(path: Path) -> str | None:
    parts = path.relative_to(ROOT).parts
    if "tests" in parts or parts[0].startswith("."):
        return None
    return parts[0] if len(parts) > 1 else path.stem


def violations(sources: dict[Path, str]) -> list[str]:
    folders = project_folders()
    problems = []
    for path, source in sources.items():
        layer = layer_of(path)
        if layer is None or layer not in MAY_IMPORT:
            continue
        for module in sorted(imported_modules(source)):
            top = module.split(".")[0]
            if top in folders and top != layer and top not in MAY_IMPORT[layer]:
                problems.append(f"{path.relative_to(ROOT)}: {layer}/ imports {module} ({top}/ is not below it)")
    return problems


def python_files():
    return [path for path in ROOT.rglob("*.py") if not any(part.startswith(".") for part in path.relative_to(ROOT).parts)]


def test_every_folder_is_in_the_layer_map():
    folders = {layer_of(path) for path in python_files()} - {None}
    assert folders <= set(MAY_IMPORT), f"add {sorted(folders - set(MAY_IMPORT))} to MAY_IMPORT and README.md's Layout"


def test_no_folder_imports_a_layer_above_it():
    assert violations({path: path.read_text(encoding="utf-8") for path in python_files()}) == []


def test_an_upward_import_is_caught():
    # The check itself: the settings model importing a component, or render/ a component inside a
    # function, is the loop that must not come back; a test may import anything.
    sources = {
        ROOT / "model" / "probe.py": "from components import k8s\n",
        ROOT / "render" / "probe.py": "def f():\n    import components.grafana\n",
        ROOT / "render" / "tests" / "probe.py": "import components\n",
        ROOT / "render" / "fine.py": "from model.settings import Settings\nimport yaml\n",
    }
    assert violations(sources) == [
        "model/probe.py: model/ imports components (components/ is not below it)",
        "render/probe.py: render/ imports components.grafana (components/ is not below it)",
    ]
