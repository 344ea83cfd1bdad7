"""Logins that resist guessing, and a record of every refusal.

django-axes counts failed logins (the login page, the admin and `/api/auth/token/` all go through
Django's `authenticate`) per account and per address, and refuses further attempts for a
cool-off period once either reaches `AXES_FAILURE_LIMIT`. This module tells axes which address a
request comes from, renders the refusal (the page, or the API's error shape) and writes failed
logins, lockouts and denied requests (403) to the audit log.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .services import access_denial_record, login_failure_record

LOCKED_OUT = (
    "Too many failed logins for this account or from this address. Wait {minutes} minutes and "
    "try again, or ask PCT finance to unlock the account."
)


def client_address(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the address the trusted proxy (TRUSTED_PROXIES
    hops, the last of X-Forwarded-For first) says it received the request from."""
    hops = settings.TRUSTED_PROXIES
    if hops:
        forwarded = [
            a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


def _cool_off_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """axes' refusal once a limit is reached: 429, with a message saying what to do."""
    message = LOCKED_OUT.format(minutes=_cool_off_minutes())
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith("/api/"):
        response = JsonResponse({"message": message, "extra": {}}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = retry_after
    return response


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """Django's `user_login_failed` signal: audit the attempt (never the password)."""
    login_failure_record(
        username=str((credentials or {}).get("username", ""))[:150],
        address=client_address(request) if request is not None else None,
        path=getattr(request, "path", ""),
        locked_out=bool(getattr(request, "axes_locked_out", False)),
    )


class DenialAuditMiddleware:
    """Audit every request answered 403 (a page, an API call, a CSRF failure)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            user = getattr(request, "user", None)
            access_denial_record(
                actor=user if user is not None and user.is_authenticated else None,
                method=request.method,
                path=request.path[:255],
                address=client_address(request),
            )
        return response
