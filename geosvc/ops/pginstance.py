"""A private PostgreSQL instance on this machine: its own data folder and port.

Used where a test or a demonstration must stop, restart or replicate a server
without touching the shared one: the database-outage test, and the hot standby
(streaming replication) that the read-scaling demonstration reads from. Runs the
PostgreSQL binaries as the postgres OS user, so it needs root, like `geosvc db setup`.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import tempfile
from pathlib import Path

from geosvc.ops.dbsetup import PG_VERSION, SetupError

BIN = Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")
SOCKET_DIR = "/var/run/postgresql"  # shared with the main cluster: sockets are named by port


@dataclasses.dataclass
class PgInstance:
    port: int
    data_dir: Path

    @classmethod
    def create(cls, port: int, parent: Path | None = None) -> PgInstance:
        """initdb a new cluster in a fresh folder (owned by postgres)."""
        data_dir = Path(tempfile.mkdtemp(prefix=f"geosvc-pg{port}-", dir=parent)) / "data"
        data_dir.mkdir(mode=0o700)
        shutil.chown(data_dir.parent, "postgres", "postgres")
        shutil.chown(data_dir, "postgres", "postgres")
        _as_postgres([BIN / "initdb", "-D", data_dir, "-U", "postgres", "--auth-local=peer",
                      "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"])
        instance = cls(port, data_dir)
        instance.append_config({
            "listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{SOCKET_DIR}'",
            "port": str(port), "wal_level": "replica", "max_wal_senders": "4", "hot_standby": "on",
        })
        instance.allow_replication()
        return instance

    @classmethod
    def standby_of(
        cls, primary_port: int, port: int, user: str, password: str, parent: Path | None = None
    ) -> PgInstance:
        """A hot standby streaming from the server on primary_port (pg_basebackup -R
        writes the connection settings, so the standby follows the primary at once)."""
        data_dir = Path(tempfile.mkdtemp(prefix=f"geosvc-pg{port}-", dir=parent)) / "data"
        shutil.chown(data_dir.parent, "postgres", "postgres")
        conninfo = f"host=127.0.0.1 port={primary_port} user={user} password={password}"
        _as_postgres([BIN / "pg_basebackup", "-d", conninfo, "-D", data_dir, "-R", "-X", "stream",
                      "--checkpoint=fast"])
        standby = cls(port, data_dir)
        standby.append_config({
            "port": str(port), "listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{SOCKET_DIR}'",
            "hot_standby": "on",
        })
        return standby

    def append_config(self, settings: dict[str, str]) -> None:
        lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
        with (self.data_dir / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
            conf.write(lines)

    def allow_replication(self) -> None:
        with (self.data_dir / "pg_hba.conf").open("a", encoding="utf-8") as hba:
            hba.write("host replication all 127.0.0.1/32 scram-sha-256\n")

    def start(self) -> None:
        _as_postgres([BIN / "pg_ctl", "-D", self.data_dir, "-l", self.data_dir.parent / "server.log",
                      "-w", "-t", "30", "start"])

    def stop(self) -> None:
        _as_postgres([BIN / "pg_ctl", "-D", self.data_dir, "-m", "fast", "-w", "stop"])

    def is_running(self) -> bool:
        status = subprocess.run(
            ["runuser", "-u", "postgres", "--", BIN / "pg_ctl", "-D", self.data_dir, "status"],
            capture_output=True, check=False,
        )
        return status.returncode == 0

    def destroy(self) -> None:
        if self.is_running():
            self.stop()
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def _as_postgres(command: list) -> None:
    result = subprocess.run(
        ["runuser", "-u", "postgres", "--", *map(str, command)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SetupError(f"{Path(str(command[0])).name} failed: {(result.stderr or result.stdout).strip()[-2000:]}")
