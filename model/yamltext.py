"""The one YAML writer of every file the project generates (rules, configs, manifests, Pulumi.yaml).

Keys stay in the order they were written and no &id001 anchors appear in files people read. Multi-line
strings (PromQL, templates) stay readable `|` blocks, as in the source files. `escaped=True` writes
them quoted and non-ASCII as escapes instead: the form the rendered manifests (ConfigMaps holding
whole files) have always had, kept so that build/ compares byte for byte across changes.
"""

from __future__ import annotations

import yaml


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.ignore_aliases = lambda self, data: True


class _BlockDumper(_Dumper):
    pass


def _str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


def dump_yaml(document, width: int = 120, escaped: bool = False) -> str:
    dumper = _Dumper if escaped else _BlockDumper
    return yaml.dump(document, Dumper=dumper, sort_keys=False, width=width, allow_unicode=not escaped)
