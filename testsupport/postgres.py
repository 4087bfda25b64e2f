"""A throwaway PostgreSQL 15 server on 127.0.0.1, for tests, the local stack and benchmarks.

    from testsupport.postgres import PostgresServer

    with PostgresServer() as pg:          # initdb + start on a picked port (picked again if taken meanwhile)
        psycopg.connect(pg.dsn)           # superuser conninfo (password auth over TCP)
        pg.dsn_for(user="reader", password="pw", dbname="app")
        pg.stop(); pg.start()             # simulate an outage; same port and data afterwards
    # leaving the block stops the server and deletes its data directory

    PostgresServer(base_dir=Path("/tmp/some-dir"))  # kept: reused by the next run (benchmark data)

PostgreSQL refuses to run as root, so when we are root every server command runs as the
`postgres` system user (through `runuser`) and the data directory is handed to that user.
"""
from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from testsupport.ports import PICK_ATTEMPTS, in_use, pick_port

# Durability is pointless for a throwaway server, and turning it off makes bulk loads fast.
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def find_postgres_bin_dir() -> Path:
    """Debian's PostgreSQL 15 (or $PG_BIN_DIR), where initdb and pg_ctl live."""
    candidates = [os.environ.get("PG_BIN_DIR", ""), "/usr/lib/postgresql/15/bin"]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise FileNotFoundError("PostgreSQL server binaries not found: install Debian's postgresql-15 "
                            "(make debian-packages) or set PG_BIN_DIR")


class PostgresServer:
    """One PostgreSQL cluster in a temporary directory, listening on 127.0.0.1 only.

    settings: extra postgresql.conf parameters (e.g. {"shared_preload_libraries": "pg_stat_statements"}).
    base_dir: keep the cluster there (with its superuser password) instead of a temporary directory;
    an existing one is started as it is, with this run's port and settings, and never deleted.
    """

    superuser = "postgres"

    def __init__(self, settings: dict[str, str] | None = None, port: int | None = None,
                 base_dir: Path | None = None):
        self.bin_dir = find_postgres_bin_dir()
        self._given_port = port
        self.port = port or pick_port()
        self.password = secrets.token_hex(16)
        self.settings = {**FAST_SETTINGS, **(settings or {})}
        self.base_dir: Path | None = None
        self.kept_dir = Path(base_dir) if base_dir is not None else None
        self.running = False

    # -- the connection strings ------------------------------------------------------------
    @property
    def dsn(self) -> str:
        """Superuser conninfo for the `postgres` database."""
        return self.dsn_for(self.superuser, self.password, "postgres")

    def dsn_for(self, user: str, password: str | None = None, dbname: str = "postgres") -> str:
        parts = [f"host=127.0.0.1 port={self.port} user={user} dbname={dbname}"]
        if password is not None:
            parts.append(f"password={password}")
        return " ".join(parts)

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        assert self.base_dir is not None, "server was never initialised"
        return self.base_dir / "data"

    def initdb(self) -> None:
        if self.kept_dir is not None:
            self.base_dir = self.kept_dir
            self.base_dir.mkdir(parents=True, exist_ok=True)
        else:
            self.base_dir = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))
        password_file = self.base_dir / "superuser-password"
        if self.kept_dir is not None and (self.data_dir / "PG_VERSION").exists():
            self.password = password_file.read_text()
        else:
            password_file.write_text(self.password)
            self._hand_to_server_user(self.base_dir)
            self._run([self.bin_dir / "initdb", "-D", self.data_dir, "-U", self.superuser,
                       "--auth=scram-sha-256", f"--pwfile={password_file}", "--no-sync",
                       "--encoding=UTF8", "--locale=C.UTF-8"])
        if self.kept_dir is None:
            password_file.unlink()
        # Appended on every run: the last value of a parameter wins, so a kept cluster takes this
        # run's port and settings.
        config = {"listen_addresses": "'127.0.0.1'", "port": str(self.port),
                  "unix_socket_directories": f"'{self.base_dir}'", **{
                      k: v if v.replace(".", "").isdigit() or v in ("on", "off") else f"'{v}'"
                      for k, v in self.settings.items()}}
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in config.items())

    def start(self) -> None:
        if self.base_dir is None:
            self.initdb()
        for attempt in range(PICK_ATTEMPTS):
            log_size = len(self.log())
            try:
                self._run([self.bin_dir / "pg_ctl", "-D", self.data_dir, "-l", self.base_dir / "server.log",
                           "-w", "-t", "60", "start"])
                break
            except RuntimeError:
                # A picked port another process bound first: pick again (the last `port` line wins).
                if self._given_port is not None or attempt == PICK_ATTEMPTS - 1 or not in_use(self.log()[log_size:]):
                    raise
                self.port = pick_port()
                with open(self.data_dir / "postgresql.conf", "a") as conf:
                    conf.write(f"port = {self.port}\n")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (keeping its data); mode is pg_ctl's: smart, fast or immediate."""
        if self.running:
            self._run([self.bin_dir / "pg_ctl", "-D", self.data_dir, "-m", mode, "-w", "stop"])
            self.running = False

    def cleanup(self) -> None:
        """Stop the server and delete its directory."""
        try:
            self.stop()
        finally:
            if self.base_dir is not None and self.kept_dir is None:
                shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None

    def log(self) -> str:
        path = self.base_dir / "server.log" if self.base_dir else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    def __enter__(self) -> "PostgresServer":
        try:
            self.start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()

    # -- running as the postgres system user when we are root --------------------------------
    @staticmethod
    def _as_root() -> bool:
        return os.geteuid() == 0

    def _hand_to_server_user(self, path: Path) -> None:
        if self._as_root():
            account = pwd.getpwnam(self.superuser)
            for root, dirs, files in os.walk(path):
                for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                    os.chown(name, account.pw_uid, account.pw_gid)

    def _run(self, argv: list) -> None:
        argv = [str(a) for a in argv]
        if self._as_root():
            argv = ["runuser", "-u", self.superuser, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, cwd="/tmp")
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}"
                               f"{result.stderr}\n{self.log()[-2000:]}")
