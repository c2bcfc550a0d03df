"""One middleware for what a production request needs around it.

- **Trusted proxies.** Behind nginx, ``REMOTE_ADDR`` is the proxy's. When the peer is in
  ``OTKLIK_TRUSTED_PROXIES`` (addresses or networks), the client is the right-most address of
  ``X-Forwarded-For`` that is not itself a trusted proxy — never a value a client wrote to the left.
  Login throttling and logs then see the resident's address, not nginx's.
- **Request and case ids** for the logs (:mod:`otklik.ops.context`), the id echoed as
  ``X-Request-ID``.
- **Metrics**: every request counted by view, method and status with its duration.
- **Replica reads**: GET requests under ``OTKLIK_REPLICA_PATHS`` read from the ``replica`` database
  when one is configured (:mod:`otklik.ops.db_router`).
- **An access log line** (logger ``otklik.access``, INFO) with the time taken and the user id.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from otklik import metrics

from . import context, db_router

access_log = logging.getLogger("otklik.access")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _trusted(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _trusted(tuple(settings.OTKLIK_TRUSTED_PROXIES)))


def client_address(remote_addr: str, forwarded_for: str) -> str:
    """The client's address: the right-most hop of X-Forwarded-For that is not a trusted proxy."""
    if not forwarded_for or not is_trusted_proxy(remote_addr):
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote_addr  # garbage in the header: keep the proxy's own address
        if not is_trusted_proxy(hop):
            return hop
    return hops[0] if hops else remote_addr


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unresolved"
    return match.view_name or "unnamed"


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        meta = request.META
        meta["REMOTE_ADDR"] = client_address(
            meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", "")
        )
        rid = context.new_request_id(meta.get("HTTP_X_REQUEST_ID"))
        replica = request.method in ("GET", "HEAD") and any(
            request.path.startswith(prefix) for prefix in settings.OTKLIK_REPLICA_PATHS
        )
        with context.bound(request=rid, case=""), db_router.reading_from_replica(replica):
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            view = _view_name(request)
            metrics.HTTP_REQUESTS.labels(request.method, view, str(response.status_code)).inc()
            metrics.HTTP_DURATION.labels(request.method, view).observe(elapsed)
            user = getattr(request, "user", None)
            access_log.info(
                "%s %s %s %.1f ms",
                request.method,
                request.path,
                response.status_code,
                elapsed * 1000,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round(elapsed * 1000, 1),
                    "view": view,
                    "client": meta["REMOTE_ADDR"],
                    "user_id": getattr(user, "pk", None) if user is not None else None,
                },
            )
        response["X-Request-ID"] = rid
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: dict[str, Any]
    ) -> None:
        case = view_kwargs.get("case_id")
        if case is not None:
            context.case_id.set(str(case))  # reset with the request's context when it ends
