"""The production stack as real processes: the web server (gunicorn or granian), Celery workers and
beat, and a private Redis on a free port — for the end-to-end test and ``bench/web.py``.

Every process runs in a session of its own (killed whole, -9 when asked), writes its output to
``<workdir>/<name>.log`` and gets the environment given to the stack: the same code and settings a
one-VM install runs from ``docs/deploy/``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
ALL_QUEUES = "intake,understanding,notify,periodic"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float, what: str, *, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def lower_session_priority(pid: int, nice: int) -> None:
    """Give the session of ``pid`` the scheduler's ``nice`` as a whole. Each process here runs in a
    session of its own, and with the kernel's autogroups (on by default) the CPU is shared between
    sessions first: a niced worker in its own session would still weigh as much as the whole web
    server. A systemd install gets the same from ``CPUWeight=`` on the unit's cgroup."""
    # without autogroups in the kernel the process's own nice is all there is
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))


_HAND_OVER = (
    "import os, sys\n"
    "fd = int(sys.argv[1])\n"
    "if fd != 3:\n"
    "    os.dup2(fd, 3)\n"
    "    os.close(fd)\n"
    "os.environ.update(LISTEN_FDS='1', LISTEN_PID=str(os.getpid()))\n"
    "os.execvp(sys.argv[2], sys.argv[2:])\n"
)


def socket_activated(command: list[str], listener: socket.socket) -> list[str]:
    """``command`` started the way systemd starts a socket-activated service: the listening socket as
    file descriptor 3, ``LISTEN_FDS=1`` and ``LISTEN_PID`` equal to the pid of the process that runs
    ``command`` (``exec`` keeps the pid). gunicorn then serves that socket (and ignores its ``bind``);
    the caller passes ``listener.fileno()`` in ``pass_fds``."""
    return [sys.executable, "-c", _HAND_OVER, str(listener.fileno()), *command]


@dataclass
class Stack:
    workdir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    # A listening socket held by the test, handed to each gunicorn started as systemd's socket unit
    # does (docs/deploy/systemd/otklik-web.socket): the server then binds nothing of its own.
    listener: socket.socket | None = None

    def __post_init__(self) -> None:
        if self.listener is not None:
            self.port = int(self.listener.getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _start(
        self,
        name: str,
        command: list[str],
        extra_env: dict[str, str] | None = None,
        pass_fds: tuple[int, ...] = (),
    ) -> subprocess.Popen:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the process
        env = {**os.environ, "PYTHONPATH": str(ROOT), **self.env, **(extra_env or {})}
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=pass_fds,
        )
        self.procs[name] = proc
        return proc

    # --- the pieces --------------------------------------------------------------------------------
    def start_redis(self) -> str:
        """A private redis-server on a free port (nothing shared with other tests or engineers)."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed")
        port = free_port()
        self._start(
            "redis",
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
        )
        url = f"redis://127.0.0.1:{port}/0"

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_for(answers, 20, "redis-server")
        return url

    def start_web(self, server: str = "gunicorn", *, workers: int = 2, threads: int = 4) -> subprocess.Popen:
        bind = f"127.0.0.1:{self.port}"
        if server == "gunicorn":
            command = [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:otklik.gunicorn",
                "--bind",
                bind,
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "otklik.wsgi:application",
            ]
        elif server == "granian":
            command = [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--blocking-threads",
                str(threads),
                "otklik.wsgi:application",
            ]
        else:
            raise ValueError(server)
        if self.listener is not None:
            if server != "gunicorn":
                raise ValueError(f"{server} is not started on a handed socket here")
            command = socket_activated(command, self.listener)
            return self._start("web", command, pass_fds=(self.listener.fileno(),))
        return self._start("web", command)

    def start_worker(
        self,
        name: str = "worker",
        *,
        queues: str = ALL_QUEUES,
        concurrency: int = 1,
        extra_env: dict[str, str] | None = None,
        nice: int = 0,
    ) -> subprocess.Popen:
        """A Celery worker; ``nice`` lowers its CPU priority as docs/deploy's unit does (``Nice=``,
        ``CPUWeight=``): interactive web first, the broker buffers the messages meanwhile."""
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "otklik",
            "worker",
            "-Q",
            queues,
            "-c",
            str(concurrency),
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ]
        if nice:
            command = ["nice", "-n", str(nice), *command]
        proc = self._start(name, command, extra_env)
        if nice:
            lower_session_priority(proc.pid, nice)
        return proc

    def start_beat(self) -> subprocess.Popen:
        schedule = self.workdir / "celerybeat-schedule"
        command = [sys.executable, "-m", "celery", "-A", "otklik", "beat", "-l", "info", "-s", str(schedule)]
        return self._start("beat", command)

    # --- control -----------------------------------------------------------------------------------
    def kill(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        for name in [n for n in self.procs if n != "redis"] + (["redis"] if "redis" in self.procs else []):
            self.kill(name)

    def wait_ready(self, timeout: float = 90) -> dict:
        """Until /readyz answers 200 (the server is up and its database and broker answer)."""
        last: dict = {}

        def ready() -> bool:
            nonlocal last
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}: {self.log_tail(name)}")
            try:
                response = httpx.get(f"{self.base_url}/readyz", timeout=5)
            except httpx.HTTPError:
                return False
            last = response.json()
            return response.status_code == 200

        wait_for(ready, timeout, "the web server's /readyz", every=0.25)
        return last

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.workdir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
