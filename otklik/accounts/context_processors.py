"""``can`` in every template: ``{% if can.take_calls %}`` asks :func:`otklik.accounts.permissions.can`."""

from __future__ import annotations

from django.http import HttpRequest

from .permissions import Capabilities


def capabilities(request: HttpRequest) -> dict[str, Capabilities]:
    return {"can": Capabilities(getattr(request, "user", None))}
