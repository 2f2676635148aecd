"""Errors as RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from luukku.core.actions.org import OrgTreeError
from luukku.core.actions.people import PeopleError

CONTENT_TYPE = "application/problem+json"


def problem(
    request: HttpRequest,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> HttpResponse:
    """An RFC 9457 problem; `extensions` are further members of the object."""
    import json

    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    body.update(extensions or {})
    response = HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_errors(exc: NinjaValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())]
        if len(location) > 1 and location[0] == "body" and location[1] == "payload":
            del location[1]
        if error.get("type") == "extra_forbidden":
            message = _("Unknown field; it is not part of this resource.")
        else:
            message = str(error.get("msg", ""))
        errors.append(
            {
                "field": ".".join(location[1:]) if len(location) > 1 else ".".join(location),
                "in": location[0] if location else "body",
                "message": message,
            }
        )
    return errors


def _django_field_errors(exc: DjangoValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {
                "field": "" if field == "__all__" else field,
                "in": "body",
                "message": " ".join(str(m) for m in messages),
            }
            for field, messages in exc.message_dict.items()
        ]
    return [{"field": "", "in": "body", "message": m} for m in exc.messages]


def install(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return problem(
            request,
            422,
            _("The request is not valid; see errors."),
            errors=_field_errors(exc),
        )

    @api.exception_handler(DjangoValidationError)
    def model_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return problem(
            request,
            422,
            _("The request is not valid; see errors."),
            errors=_django_field_errors(exc),
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        detail = (
            exc.message
            if exc.message != "Unauthorized"
            else _("Authentication required: send 'Authorization: Bearer <token>'.")
        )
        return problem(request, 401, detail, headers={"WWW-Authenticate": 'Bearer realm="luukku"'})

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return problem(request, 403, str(exc) or _("You do not have permission to do this."))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(request, 404, str(exc) or _("Not found."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem(request, exc.status_code, str(exc))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return problem(request, 413, _("The request body is larger than this server accepts."))

    @api.exception_handler(OrgTreeError)
    @api.exception_handler(PeopleError)
    def conflict(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem(request, 409, str(exc))
