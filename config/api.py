"""API conventions shared by every app: the error shape, pagination, common exceptions.

Every error under /api/ is JSON of one shape:
    {"error": {"code": "not_found", "message": "...", "fields": {...}}}
`fields` is present (possibly empty) on every error; validation errors list the
offending fields there with their messages.
"""

import logging
import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
}


def error_body(status_code: int, message: str, *, code: str | None = None, fields=None) -> dict:
    return {
        "error": {
            "code": code or _CODES.get(status_code, "error"),
            "message": message,
            "fields": fields or {},
        }
    }


def _flatten(detail) -> str:
    if isinstance(detail, list):
        return " ".join(_flatten(d) for d in detail)
    if isinstance(detail, dict):
        return " ".join(f"{k}: {_flatten(v)}" for k, v in detail.items())
    return str(detail)


def _as_field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {
            key: value if isinstance(value, list | dict) else [value]
            for key, value in detail.items()
        }
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


def _humanize_seconds(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _message_and_code(exc) -> tuple[str, str | None]:
    """The person-readable message and the most specific machine code of an APIException."""
    detail = exc.detail
    code = getattr(exc, "default_code", None)
    if isinstance(detail, dict) and "detail" in detail:
        # SimpleJWT wraps its errors as {"detail": ..., "code": ..., "messages": [...]}.
        code = str(detail.get("code") or code)
        return str(detail["detail"]), code
    detail_code = exc.get_codes()
    if isinstance(detail_code, str) and detail_code not in ("invalid", "error"):
        code = detail_code
    return _flatten(detail), code


def exception_handler(exc, context):
    """DRF's handler, reshaped into the one error format."""
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        # Keep a service's explanation ("Only admins can change roles.") when it gave one.
        exc = exceptions.PermissionDenied(str(exc.args[0]) if exc.args and exc.args[0] else None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 handler answers in JSON and logs it

    if isinstance(exc, exceptions.ValidationError):
        fields = _as_field_errors(exc.detail)
        first = next(iter(fields.values()), [""])
        message = _flatten(first[0] if isinstance(first, list) and first else first)
        if "non_field_errors" not in fields or len(fields) > 1:
            message = (
                "Some fields are not valid: "
                + ", ".join(k for k in fields if k != "non_field_errors")
                + "."
            )
        response.data = error_body(400, message, code="invalid", fields=fields)
        return response

    message, code = _message_and_code(exc)
    wait = getattr(exc, "wait", None)
    extra = {}
    if wait is not None:
        extra["retry_after"] = max(1, math.ceil(wait))
    if isinstance(exc, exceptions.Throttled):
        # DRF's "Request was throttled. Expected available in 37 seconds." reads like a log line.
        code = "throttled"
        message = (
            f"Too many requests. Try again in {_humanize_seconds(extra['retry_after'])}."
            if wait is not None
            else "Too many requests. Try again later."
        )
    if "retry_after" in extra:
        # DRF writes "%d" of the raw wait, which says 0 for half a second.
        response["Retry-After"] = str(extra["retry_after"])
    response.data = error_body(response.status_code, message, code=code)
    response.data["error"].update(extra)
    return response


def json_error_response(request, status_code: int, message: str) -> JsonResponse:
    return JsonResponse(error_body(status_code, message), status=status_code)


def is_api_request(request) -> bool:
    return request.path.startswith("/api/")


# --- OpenAPI description of the error shape -------------------------------------


class ApiErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable machine-readable code, e.g. invalid, not_authenticated, not_found, "
        "throttled, locked_out."
    )
    message = serializers.CharField(help_text="One sentence a person can act on.")
    fields = serializers.DictField(
        child=serializers.JSONField(),
        help_text="400 only (empty otherwise): for each invalid field, a list of messages; "
        "for a list or nested field, an object keyed by item index or sub-field instead.",
    )
    retry_after = serializers.IntegerField(
        required=False, help_text="429 only: seconds to wait (also in the Retry-After header)."
    )


class ApiErrorSerializer(serializers.Serializer):
    error = ApiErrorBodySerializer()


_ERROR_DESCRIPTIONS = {
    400: "The request is not valid; `error.fields` says which fields and why.",
    401: "Not signed in, or the token or API key is not valid.",
    403: "Signed in, but not allowed to do this.",
    404: "There is nothing at this address (or it is not yours), or the page is out of range.",
    405: "This method is not allowed here.",
    409: "The request conflicts with the current state of the resource.",
    415: "The body is not in a supported format; send JSON.",
    429: "Too many requests. Wait the number of seconds in the Retry-After header.",
}


def error_responses(*status_codes: int) -> dict[int, OpenApiResponse]:
    """`responses=` entries for extend_schema, all with the one error shape."""
    return {
        code: OpenApiResponse(ApiErrorSerializer, description=_ERROR_DESCRIPTIONS.get(code, ""))
        for code in status_codes
    }


__all__ = [
    "ApiErrorSerializer",
    "Conflict",
    "Pagination",
    "Response",
    "error_body",
    "error_responses",
    "exception_handler",
]
