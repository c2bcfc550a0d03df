"""A tiny local HTTP server for fakes of outside APIs (FixMyStreet's ``t/Mock/`` idea).

Each fake subclasses :class:`FakeServer` and answers in :meth:`FakeServer.handle` with the payloads
the real API documents. It listens on 127.0.0.1 with an ephemeral port in a daemon thread
(``ThreadingHTTPServer``), records every request, and can be told to fail the next calls
(:meth:`FakeServer.fail_next`), or a later call of one of the API's methods
(:meth:`FakeServer.fail_method`), so tests see rate limits and outages without real sleeping.
Tests use it as a context manager; ``otklik fake-sources`` runs them all for the demo.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def form(self) -> dict[str, str]:
        """URL-encoded body fields (VK and Telegram accept POST forms), merged over the query."""
        merged = dict(self.query)
        if self.body and "json" not in self.headers.get("content-type", ""):
            merged.update({k: v[-1] for k, v in parse_qs(self.body.decode("utf-8")).items()})
        elif self.body:
            data = self.json()
            if isinstance(data, dict):
                merged.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()})
        return merged


@dataclass
class Response:
    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


class FakeServer:
    """Base of the fakes: start/stop, request log, scripted failures."""

    name = "fake"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[Request] = []
        self._faults: deque[Response] = deque()
        self._method_faults: dict[str, deque[Response | None]] = defaultdict(deque)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query={k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                response = fake._dispatch(request)
                payload = response.encoded()
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_HEAD = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting ------------------------------------------------------------------------------
    def fail_next(self, response: Response, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``response`` instead of the real handler."""
        with self._lock:
            self._faults.extend([response] * times)

    def fail_method(self, method: str, response: Response, *, after: int = 0) -> None:
        """Answer the call of ``method`` that comes after ``after`` more successful ones with ``response``
        (a fake whose API names its methods asks :meth:`method_fault` in its :meth:`handle`)."""
        with self._lock:
            self._method_faults[method].extend([None] * after + [response])

    def method_fault(self, method: str) -> Response | None:
        """The answer :meth:`fail_method` scripted for this call of ``method``, or None: answer it."""
        with self._lock:
            faults = self._method_faults.get(method)
            return faults.popleft() if faults else None

    def calls(self, path_suffix: str) -> list[Request]:
        return [r for r in self.requests if r.path.endswith(path_suffix)]

    def _dispatch(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
            fault = self._faults.popleft() if self._faults else None
        if fault is not None:
            return fault
        try:
            return self.handle(request)
        except Exception as exc:  # a bug in a fake shows as a 500, like a broken server
            return Response(500, {"error": f"{type(exc).__name__}: {exc}"})

    def handle(self, request: Request) -> Response:
        return Response(404, {"error": "not found"})
