"""Real services for tests: Mosquitto, VictoriaMetrics and PostgreSQL, each on a
free port in a temporary folder, startable, stoppable and restartable mid-test.

No mocks here: these are the Debian binaries, run as child processes.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import urllib.request
from pathlib import Path

from tests.support.processes import find_binary, free_port, port_open, wait_for


class Service:
    """A child process with a port; subclasses say how to start it and when it is ready."""

    name = "service"
    ready_timeout = 30.0
    stop_signal: int = signal.SIGTERM

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"{self.name}.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        return port_open(self.port)

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, **self.popen_kwargs()
        )
        try:
            wait_for(self._alive_and_ready, self.ready_timeout, self.name)
        except Exception:
            self.stop()
            raise RuntimeError(f"{self.name} failed to start:\n{self.log_tail()}") from None

    def popen_kwargs(self) -> dict[str, object]:
        return {}

    def _alive_and_ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
        return self.ready()

    def stop(self, sig: int | None = None) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig or self.stop_signal)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
        wait_for(lambda: not port_open(self.port), 10, f"{self.name} port closed")

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


class Mosquitto(Service):
    name = "mosquitto"

    def command(self) -> list[str]:
        conf = self.workdir / "mosquitto.conf"
        data = self.workdir / "data"
        data.mkdir(exist_ok=True)
        conf.write_text(
            "\n".join(
                [
                    f"listener {self.port} 127.0.0.1",
                    "allow_anonymous true",
                    # Sessions and queued QoS 1 messages survive a broker restart.
                    "persistence true",
                    f"persistence_location {data}/",
                    "autosave_interval 1",
                    # No silent drops while a persistent subscriber is away.
                    "max_queued_messages 0",
                    "max_inflight_messages 0",
                    # As root, mosquitto drops to the mosquitto user, which could not
                    # write its persistence file in our folder.
                    *(["user root"] if os.geteuid() == 0 else []),
                    "log_type error",
                    "log_type warning",
                    "",
                ]
            )
        )
        binary = find_binary("mosquitto", "/usr/sbin/mosquitto")
        return [binary, "-c", str(conf)]

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"


class VictoriaMetrics(Service):
    name = "victoria-metrics"

    def command(self) -> list[str]:
        return [
            find_binary("victoria-metrics", "/usr/bin/victoria-metrics"),
            f"-storageDataPath={self.workdir / 'data'}",
            f"-httpListenAddr=127.0.0.1:{self.port}",
            # Identical samples (a replayed write) are stored once.
            "-dedup.minScrapeInterval=1ms",
            # Make fresh samples visible to queries at once.
            "-search.latencyOffset=0s",
            "-retentionPeriod=100y",
            "-loggerLevel=ERROR",
        ]

    def ready(self) -> bool:
        with urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:
            return response.status == 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def flush(self) -> None:
        urllib.request.urlopen(f"{self.url}/internal/force_flush", timeout=10).read()

    def export(self, match: str = '{__name__=~"reading_.*"}') -> list[dict]:
        """Every stored sample of the matching series (JSON lines of /api/v1/export)."""
        import json
        import urllib.parse

        self.flush()
        query = urllib.parse.urlencode({"match[]": match, "start": "0"})
        with urllib.request.urlopen(f"{self.url}/api/v1/export?{query}", timeout=30) as response:
            return [json.loads(line) for line in response.read().splitlines() if line.strip()]

    def sample_count(self, match: str = '{__name__=~"reading_.*"}') -> int:
        return sum(len(series["values"]) for series in self.export(match))


class Postgres(Service):
    """A throwaway cluster. PostgreSQL refuses to run as root, so as root the
    server runs as the `postgres` user (or `nobody`) from a folder it owns."""

    name = "postgres"
    ready_timeout = 60.0
    # Fast shutdown: SIGTERM's smart shutdown waits for every client to disconnect.
    stop_signal = signal.SIGINT

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        # pytest's temp folders are private to root: use a folder the server user can reach.
        own = Path(tempfile.mkdtemp(prefix="stockwarden-pg-"))
        os.chmod(own, 0o755)
        super().__init__(own, port)
        pg_ctl = find_binary("pg_ctl", "/usr/lib/postgresql/*/bin/pg_ctl")
        self.bindir = Path(pg_ctl).resolve().parent
        self.datadir = self.workdir / "data"
        self.user = self._server_user()
        if not self.datadir.exists():
            self._initdb()

    @staticmethod
    def _server_user() -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            try:
                return pwd.getpwnam(name)
            except KeyError:
                continue
        raise RuntimeError("running as root, and neither a postgres nor a nobody user exists")

    def popen_kwargs(self) -> dict[str, object]:
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "cwd": str(self.workdir)}

    def _initdb(self) -> None:
        if self.user is not None:
            os.chown(self.workdir, self.user.pw_uid, self.user.pw_gid)
        subprocess.run(
            [
                str(self.bindir / "initdb"),
                "-D", str(self.datadir),
                "-U", "postgres",
                "--auth=trust",
                "--no-sync",
                "-E", "UTF8",
            ],
            check=True,
            capture_output=True,
            **self.popen_kwargs(),  # type: ignore[arg-type]
        )
        if self.user is not None:
            os.chown(self.log_path.parent, self.user.pw_uid, self.user.pw_gid)

    def command(self) -> list[str]:
        return [
            str(self.bindir / "postgres"),
            "-D", str(self.datadir),
            "-p", str(self.port),
            "-c", "listen_addresses=127.0.0.1",
            "-c", f"unix_socket_directories={self.workdir}",
            "-c", "fsync=off",
            "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
            "-c", "max_connections=300",
            "-c", "shared_buffers=128MB",
        ]

    def ready(self) -> bool:
        result = subprocess.run(
            [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
            capture_output=True,
        )
        return result.returncode == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database; a copy of `template` (which nobody may be connected to) when
        given, an empty one otherwise."""
        import psycopg

        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
