"""The OpenAPI schema's description of the answers every operation can give besides its success
(finding 9 of issue 11): 400 (a bad body or query parameter, or a request the state refuses), 401
and 403 (not signed in, or a role that may not), 404 (an object that does not exist or is outside
the user's scope), 429 (a login locked out). Schemathesis checks the API against it
(otklik/api/tests/test_schemathesis.py)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorDetailSerializer(serializers.Serializer):
    """{"detail": "..."}: DRF's answer to a refused or missing object, in the user's language."""

    detail = serializers.CharField()


class OtklikAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        detail = OpenApiResponse(ErrorDetailSerializer)
        errors: dict[str, Any] = {}
        if (
            self.method in {"POST", "PUT", "PATCH"}
            or self._get_filter_parameters()
            or self._has_query_params()
        ):
            errors["400"] = OpenApiResponse(
                OpenApiTypes.OBJECT, description="Bad request: what is wrong, by field"
            )
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            errors["401"] = detail
            errors["403"] = detail
            errors["429"] = detail
        # A missing or out-of-scope object, and a page past the last one of a list.
        errors["404"] = detail
        for code, response in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def _has_query_params(self) -> bool:
        return any(p.get("in") == "query" for p in self._get_parameters())
