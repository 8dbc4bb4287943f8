"""Private, throw-away Redis and PostgreSQL servers for fault tests.

Fault tests stop and restart their services in the middle of traffic. The machine's shared
Redis and PostgreSQL serve other suites at the same time, so they are never touched here:
each test module starts its own on a free loopback port, in a temporary directory, and
removes them afterwards.

* :class:`PrivateRedis` — ``redis-server --port N --save "" --appendonly no`` as a child
  process; :meth:`PrivateRedis.kill` is ``kill -9`` (everything in it is lost, as a real
  crash would lose it: the design keeps nothing there that cannot be rebuilt).
* :class:`PrivatePostgres` — a cluster made with ``initdb`` (trust auth, ``fsync=off``)
  and run with ``pg_ctl``; :meth:`PrivatePostgres.crash` is ``pg_ctl stop -m immediate``
  (no shutdown checkpoint, crash recovery at the next start). As root ``initdb`` refuses
  to run, so the binaries run as the ``postgres`` user through ``runuser``.

``redis_problem()`` / ``postgres_problem()`` say why a server cannot be started here
(``None`` when it can); callers skip on that, or fail under ``DULY_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["free_port", "PrivateRedis", "PrivatePostgres", "redis_binary_problem",
           "postgres_binary_problem"]


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


# --- Redis ------------------------------------------------------------------------------------


def _redis_server() -> str | None:
    return shutil.which("redis-server")


def redis_binary_problem() -> str | None:
    """``None`` when a private redis-server can be started, else why not."""
    if _redis_server() is None:
        return "redis-server not found on PATH (apt-get install redis-server)"
    return None


class PrivateRedis:
    """A redis-server child process on a free loopback port, no persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 10.0) -> "PrivateRedis":
        binary = _redis_server()
        if binary is None:
            raise RuntimeError(redis_binary_problem())
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode} on port {self.port}")
            if self.ping():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5).ping())
        except Exception:  # noqa: BLE001
            return False

    def freeze(self) -> None:
        """``kill -STOP``: the server still accepts connections but answers nothing (a hung
        Redis, the worst kind: only client timeouts end a call)."""
        import signal

        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """``kill -CONT`` after :meth:`freeze`."""
        import signal

        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """``kill -9``: the server and everything in it are gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()                 # SIGKILL ends a stopped process too
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        self.kill()


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_bindir() -> str | None:
    """The newest ``/usr/lib/postgresql/*/bin`` holding initdb and pg_ctl, else the PATH's."""
    def version(path: str) -> float:
        try:
            return float(Path(path).parent.name)
        except ValueError:
            return 0.0

    for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if os.access(os.path.join(cand, "initdb"), os.X_OK) and os.access(os.path.join(cand, "pg_ctl"), os.X_OK):
            return cand
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return str(Path(os.path.realpath(initdb)).parent)
    return None


def _run_as() -> list[str] | None:
    """The command prefix that runs the PostgreSQL binaries: nothing as an ordinary user;
    ``runuser -u postgres --`` as root (initdb refuses root); ``None`` when root has no
    such user or no runuser."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return None
    runuser = shutil.which("runuser")
    if runuser is None:
        return None
    return [runuser, "-u", "postgres", "--"]


def postgres_binary_problem() -> str | None:
    """``None`` when a private PostgreSQL cluster can be made here, else why not."""
    if _pg_bindir() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or on PATH"
    if _run_as() is None:
        return "running as root without a 'postgres' user and runuser: initdb refuses root"
    return None


class PrivatePostgres:
    """A private PostgreSQL cluster in a temporary directory on a free loopback port.

    Trust authentication for the ``postgres`` role; ``fsync=off`` (a test cluster: speed
    over durability against power loss — an immediate stop still keeps every committed
    transaction, as the OS keeps the written pages)."""

    def __init__(self) -> None:
        problem = postgres_binary_problem()
        if problem:
            raise RuntimeError(problem)
        self.bindir = _pg_bindir()
        self.prefix = _run_as() or []
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="duly-pg-"))
        os.chmod(self.root, 0o777)          # writable by the postgres user when we are root
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self._initdb()

    def _bin(self, name: str) -> str:
        return os.path.join(self.bindir, name)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([*self.prefix, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=timeout, text=True, cwd=self.root)

    def _initdb(self) -> None:
        r = self._run(self._bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                      "-E", "UTF8", "--no-sync", "--no-instructions")
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed ({r.returncode}): {r.stdout[-2000:]}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> "PrivatePostgres":
        # fsync=off only: a crash of the server (not of the machine) keeps every committed
        # transaction. Never synchronous_commit=off here: an immediate stop would lose
        # the last commits, and the test would see rows "sent twice" that were never claimed.
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c max_connections=200")
        r = self._run(self._bin("pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.log),
                      "-w", "-t", "60", "start", timeout=90)
        if r.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed ({r.returncode}): {r.stdout[-1000:]}\n{tail}")
        return self

    def crash(self) -> None:
        """``pg_ctl stop -m immediate``: every backend is killed at once, no checkpoint."""
        self._run(self._bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop")

    def stop(self) -> None:
        """Stop (fast) if running; never raises."""
        try:
            self._run(self._bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")
        except Exception:  # noqa: BLE001
            pass

    def running(self) -> bool:
        return _port_open(self.port)

    def close(self) -> None:
        """Stop the server and remove its directory."""
        self.stop()
        if self.running():
            self.crash()
        shutil.rmtree(self.root, ignore_errors=True)
