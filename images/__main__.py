"""`make images`: python -m images [build] [exporter|reporter ...] | lock"""
from __future__ import annotations

import argparse
import sys

from images import build, lock
from images.catalog import IMAGES, PYTHON_IMAGES

MB = 1_000_000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m images", description=__doc__)
    parser.add_argument("command", nargs="?", default="build", choices=("build", "lock"))
    parser.add_argument("names", nargs="*", metavar="IMAGE", help=f"any of {', '.join(IMAGES)} (default: all)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in IMAGES]
    if unknown:
        parser.error(f"unknown image {', '.join(unknown)}: expected any of {', '.join(IMAGES)}")
    if args.command == "lock":
        for name in [name for name in args.names or IMAGES if name in PYTHON_IMAGES]:
            print(f"images: wrote {lock.write_lock(IMAGES[name]).relative_to(IMAGES[name].lock.parents[1])}")
        return 0
    for built in build.build(args.names or None):
        print(f"images: {built.reference}  {built.size / MB:.0f} MB  built in {built.seconds:.0f}s  {built.image_id[:12]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
