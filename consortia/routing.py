"""Paths that refuse malformed ids before any view runs, and API errors in the one shape.

An id in a path is a positive whole number that fits PostgreSQL's bigint: anything else
(`null,null`, `abc`, `0.5`, twenty digits) is not a page, so it is answered 404 by the URL
resolver rather than reaching a query that would fail.
"""

from django.http import JsonResponse
from django.views import defaults
from rest_framework.routers import DefaultRouter, SimpleRouter

ID_PATTERN = "[0-9]{1,18}"  # 18 digits always fit a bigint (2**63 - 1 has 19)


class IdConverter:
    """`<id:pk>`: as Django's `<int:pk>`, bounded to what the database can hold."""

    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class _IdLookups:
    """Routers whose viewsets, when looked up by primary key, take only an `IdConverter` id."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        lookup_field = getattr(viewset, "lookup_field", "pk")
        if lookup_field in ("pk", "id") and not hasattr(viewset, "lookup_value_regex"):
            kwarg = getattr(viewset, "lookup_url_kwarg", None) or lookup_field
            return f"(?P<{lookup_prefix}{kwarg}>{ID_PATTERN})"
        return super().get_lookup_regex(viewset, lookup_prefix)


class ApiRouter(_IdLookups, SimpleRouter):
    pass


class ApiRootRouter(_IdLookups, DefaultRouter):
    pass


def page_not_found(request, exception):
    """404: the API's error shape under /api/, the page otherwise."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"message": "Not found: check the address and the id in it.", "extra": {}},
            status=404,
        )
    return defaults.page_not_found(request, exception)


def server_error(request):
    """500: the API's error shape under /api/, the page otherwise."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"message": "Something went wrong on our side; it has been logged.", "extra": {}},
            status=500,
        )
    return defaults.server_error(request)
