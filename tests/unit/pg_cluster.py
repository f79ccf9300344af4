"""A throwaway PostgreSQL server for the tests of the usage database (congvu_usage.postgresql).

A real server, Debian's (`postgresql`, installed by scripts/bootstrap.sh), started once per test
session in a temporary folder: initdb, then postgres listening on a Unix socket in that folder only
(no TCP port, nothing shared with a PostgreSQL the machine may run). initdb refuses to run as root,
as CI does: the server then runs as `nobody` (runuser), the folder handed to it. A missing
PostgreSQL is a failure, never a skip: the store's promises on PostgreSQL are tested or not claimed.

Each test gets its own database (`Cluster.new_database`); `Cluster.restart()` is `pg_ctl restart -m
fast`, what a package upgrade or an operator does to a running server.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

UNPRIVILEGED = "nobody"


def _bin_dir() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not found:
        pytest.fail("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb): the usage database's "
                    "tests need it. Install it with scripts/bootstrap.sh (or apt-get install postgresql).",
                    pytrace=False)
    return os.path.dirname(found[-1])


class Cluster:
    def __init__(self):
        self.bin = _bin_dir()
        # /tmp, not pytest's tmp_path: that is private to root, and the server may run as nobody
        self.dir = tempfile.mkdtemp(prefix="congvu-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.as_root = os.geteuid() == 0
        if self.as_root:
            user = pwd.getpwnam(UNPRIVILEGED)
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self._names = itertools.count(1)
        self._admin = None

    def _run(self, *command: str) -> None:
        if self.as_root:
            command = ("runuser", "-u", UNPRIVILEGED, "--", *command)
        # the output to a file, not a pipe: the server started by pg_ctl keeps its descriptors
        with open(os.path.join(self.dir, "pg_ctl.out"), "ab") as out:
            done = subprocess.run(command, cwd=self.dir, stdout=out, stderr=subprocess.STDOUT, timeout=120,
                                  check=False)
        if done.returncode != 0:
            with open(os.path.join(self.dir, "pg_ctl.out"), encoding="utf-8", errors="replace") as out:
                tail = out.read()[-2000:]
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{tail}")

    def _pg_ctl(self, *args: str) -> None:
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "60", *args)

    def start(self) -> Cluster:
        self._run(os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        # fsync off: a test server; a fast restart still shuts down cleanly (a checkpoint)
        self._pg_ctl("-o", f"-k {self.dir} -c listen_addresses='' -c fsync=off -c full_page_writes=off "
                           "-c max_connections=40", "start")
        return self

    def restart(self) -> None:
        """pg_ctl restart -m fast: every session is ended, its open transaction rolled back."""
        self._pg_ctl("-m", "fast", "restart")
        self._admin = None

    def configure_authentication(self, hba_first: str, ident: str) -> None:
        """A line first in pg_hba.conf (the first match decides), pg_ident.conf's lines; reloaded."""
        hba = os.path.join(self.data, "pg_hba.conf")
        with open(hba, encoding="utf-8") as handle:
            rest = handle.read()
        with open(hba, "w", encoding="utf-8") as handle:
            handle.write(hba_first.rstrip("\n") + "\n" + rest)
        with open(os.path.join(self.data, "pg_ident.conf"), "a", encoding="utf-8") as handle:
            handle.write(ident.rstrip("\n") + "\n")
        errors = self.admin().cursor()
        errors.execute("SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL UNION ALL "
                       "SELECT line_number, error FROM pg_ident_file_mappings WHERE error IS NOT NULL")
        found = errors.fetchall()
        if found:  # a reload would keep the old rules without a word
            raise RuntimeError(f"pg_hba.conf or pg_ident.conf refused: {found}")
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "reload")

    def stop(self) -> None:
        try:
            self._pg_ctl("-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.dir}"

    def admin(self):
        import psycopg2  # noqa: PLC0415

        if self._admin is None or self._admin.closed:
            self._admin = psycopg2.connect(self.url("postgres"))
            self._admin.autocommit = True
        return self._admin

    def new_database(self) -> str:
        """A new empty database; its URL."""
        name = f"usage{next(self._names)}"
        self.admin().cursor().execute(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)


@pytest.fixture(scope="session")
def postgresql_cluster():
    cluster = Cluster().start()
    yield cluster
    cluster.stop()
