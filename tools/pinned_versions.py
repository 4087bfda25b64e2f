"""Prints the Prometheus and Alertmanager versions the images pin, and where `make deps` puts them.

    python -m tools.pinned_versions            # prometheus 3.13.5 /home/me/.cache/waqiti-monitoring/tools/prometheus-3.13.5
    python -m tools.pinned_versions --table    # the fields tools/build_pinned_tools.sh reads
"""
from __future__ import annotations

import argparse

from testsupport.pinned_tools import projects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", action="store_true", help="name module version module-version directory commands")
    args = parser.parse_args()
    for project in projects():
        if args.table:
            print(project.name, project.module, project.version, project.module_version, project.directory,
                  ",".join(project.commands))
        else:
            print(project.name, project.version, project.directory)


if __name__ == "__main__":
    main()
