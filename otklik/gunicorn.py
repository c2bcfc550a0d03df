"""gunicorn's settings for Otklik: ``gunicorn -c python:otklik.gunicorn otklik.wsgi:application``.

Why gunicorn and these numbers: docs/decisions/0005-web-server.md. Every value can be changed from
the environment file (docs/deploy/otklik.env) without editing this file.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

_cores = os.cpu_count() or 2

bind = os.environ.get("OTKLIK_BIND", "127.0.0.1:8000")
# Threads overlap the waits on PostgreSQL; processes use the cores (one GIL each). Measured for the
# operators' mix on 2 cores (docs/decisions/0005): 3 × 4 beat 6 × 2 and 6 sync processes on every page
# (more processes each build their caches and add contention, not cores).
worker_class = os.environ.get("OTKLIK_WEB_WORKER_CLASS", "gthread")
workers = int(os.environ.get("OTKLIK_WEB_WORKERS", str(_cores + 1)))
threads = int(os.environ.get("OTKLIK_WEB_THREADS", "4"))
# Django and the caches are loaded once in the master and shared by the forked workers.
preload_app = True
timeout = int(os.environ.get("OTKLIK_WEB_TIMEOUT", "60"))  # a summary PDF of a big region may take long
graceful_timeout = 30
keepalive = 65  # longer than a client's pause and nginx's upstream keepalive (60 s): no reset mid-request
# A worker is replaced after this many requests (with jitter, never all at once): memory stays flat.
max_requests = int(os.environ.get("OTKLIK_WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# nginx in front: trust its X-Forwarded-Proto from these addresses only.
forwarded_allow_ips = os.environ.get("OTKLIK_TRUSTED_PROXIES", "127.0.0.1,::1")
accesslog = None  # Django's otklik.access logger writes one line per request with its ids
errorlog = "-"
loglevel = os.environ.get("OTKLIK_WEB_LOG_LEVEL", "info")
proc_name = "otklik-web"
# gunicorn ≥ 27 opens a control socket by default ($XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl, one path
# for every gunicorn of the user: two servers on one machine take each other's). Otklik is run by systemd
# and signals (docs/deploy), never through gunicornc: no control interface, no thread for it in the master.
control_socket_disable = True

# Prometheus counters of every worker process, summed at /metrics (prometheus-client's
# multiprocess mode): a folder of the web server's own, emptied at start.
_metrics_dir = Path(
    os.environ.get("OTKLIK_WEB_METRICS_DIR", "")
    or Path(os.environ.get("OTKLIK_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
    / "prometheus-web"
)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics_dir)


def on_starting(server: Any) -> None:
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    _metrics_dir.mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


# --- per-request timings for the bench (off unless OTKLIK_WEB_TIMING_LOG names a file) ---------------
# One JSON line per request: the client's X-Request-ID, the worker's pid, the request's wall time in the
# worker thread (from the thread taking it up to the last byte written) and that thread's own CPU time.
# bench/web.py joins them with the time its clients waited: client − wall = the wait for a worker
# thread (and the network); wall − CPU = the waits on PostgreSQL, Redis and the GIL.
_timing_path = os.environ.get("OTKLIK_WEB_TIMING_LOG", "")
_timing_lock = threading.Lock()
_timing_file: Any = None


def pre_request(worker: Any, req: Any) -> None:
    if _timing_path:
        req.otklik_started = (time.perf_counter(), time.thread_time())


def post_request(worker: Any, req: Any, environ: dict[str, Any], resp: Any) -> None:
    global _timing_file
    started = getattr(req, "otklik_started", None)
    if not _timing_path or started is None:
        return
    wall, cpu = time.perf_counter() - started[0], time.thread_time() - started[1]
    line = json.dumps(
        {
            "id": environ.get("HTTP_X_REQUEST_ID", ""),
            "pid": os.getpid(),
            "path": req.path,
            "wall_ms": round(wall * 1000, 2),
            "cpu_ms": round(cpu * 1000, 2),
        }
    )
    with _timing_lock:
        if _timing_file is None:
            _timing_file = open(_timing_path, "a", buffering=1)  # noqa: SIM115 - the process's own
        _timing_file.write(line + "\n")
