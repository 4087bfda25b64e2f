"""Command line: `python -m reporter report daily|weekly|monthly`, `backup prometheus|grafana|alertmanager`,
`restore prometheus --data-dir DIR`. Configuration comes from the environment (README.md)."""
from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from reporter.period import KINDS
from reporter.settings import SettingsError

EXIT_FAILED, EXIT_BAD_SETTINGS = 1, 2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reporter", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="build, email and archive an SLA report")
    report.add_argument("kind", choices=KINDS)
    report.add_argument("--date", type=date.fromisoformat,
                        help="a day inside the period to report (default: the last complete period)")
    report.add_argument("--no-email", action="store_true", help="do not send the email (SMTP settings not needed)")
    report.add_argument("--no-archive", action="store_true", help="do not archive to S3 (S3 settings not needed)")
    report.add_argument("--output-dir", type=Path, help="also write the PDF, HTML and charts here")
    backup = commands.add_parser("backup", help="back up a component to S3")
    backup.add_argument("source", choices=("prometheus", "grafana", "alertmanager"))
    restore = commands.add_parser("restore", help="restore a Prometheus backup into an empty data directory")
    restore.add_argument("source", choices=("prometheus",))
    restore.add_argument("--data-dir", type=Path, required=True, help="empty directory for the TSDB")
    restore.add_argument("--key", help="S3 key of the backup (default: the newest)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from reporter import jobs   # after argument parsing, so --help stays fast
    try:
        if args.command == "report":
            jobs.run_report(args.kind, args.date, email=not args.no_email, archive=not args.no_archive,
                            output_dir=args.output_dir)
        elif args.command == "backup":
            print(jobs.run_backup(args.source))
        else:
            print(jobs.run_restore_prometheus(args.data_dir, args.key))
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    except Exception as error:  # one clear line for the CronJob's log, the traceback at debug level
        logging.getLogger("reporter").debug("failure", exc_info=True)
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
