"""API conventions shared by every app: the error shape, pagination, common exceptions.

Every error under /api/ is JSON of one shape:
    {"error": {"code": "not_found", "message": "...", "fields": {...}}}
`fields` is present (possibly empty) on every error; validation errors list the
offending fields there with their messages.
"""

import logging
import math

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
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


def query_int(request, name: str, *, minimum: int, maximum: int | None = None) -> int | None:
    """The whole-number query parameter `name`, None when absent or empty.

    Anything else outside minimum..maximum is a 400 naming the parameter, so a client
    learns which number was wrong instead of getting a default or a 404.
    """
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    bounds = f"{minimum}..{maximum}" if maximum is not None else f"{minimum} or more"
    # 18 digits: beyond that int() of a long string is slow, and no count here is that large.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise exceptions.ValidationError({name: [f"Must be a whole number, {bounds}."]})
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        raise exceptions.ValidationError({name: [f"Must be {bounds}."]})
    return value


class Pagination(PageNumberPagination):
    """Page-number pagination where a malformed `page` or `page_size` is a 400 on that field.

    DRF answers `page=0` with 404 "Invalid page" and silently ignores `page_size=0`.
    A page after the last one is still a 404 (there is nothing at that address), and a
    `page_size` above the maximum is cut down to it, as in DRF.
    """

    page_size_query_param = "page_size"
    max_page_size = 100
    invalid_page_message = "There is no page {page_number}."

    def get_page_size(self, request) -> int:
        size = query_int(request, self.page_size_query_param, minimum=1)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_page_number(self, request, paginator) -> int:
        if request.query_params.get(self.page_query_param) in self.last_page_strings:
            return paginator.num_pages
        return query_int(request, self.page_query_param, minimum=1) or 1

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        descriptions = {
            self.page_query_param: "Page number, from 1 (or `last`). A page after the last "
            "one answers 404.",
            self.page_size_query_param: f"Results per page, default {self.page_size}; "
            f"more than {self.max_page_size} gives {self.max_page_size}.",
        }
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            parameter["description"] = descriptions[parameter["name"]]
        return parameters


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
    elif isinstance(exc, RequestDataTooBig):
        # Raised while DRF parses the body; Django's own 400 for it is an HTML debug page
        # when DEBUG is on, so answer it here, in the API's format, whatever the settings.
        exc = exceptions.ParseError(
            "The request body is larger than this site accepts.", code="request_too_large"
        )
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
    # Anything else an exception wants clients to know (`threshold` of a refused right...).
    extra.update(getattr(exc, "extra", None) or {})
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


@csrf_exempt  # an unknown address is a 404 for every method, never a CSRF refusal
def api_not_found(request, *args, **kwargs) -> JsonResponse | HttpResponsePermanentRedirect:
    """The answer to any /api/ address no route takes, e.g. `/api/sessions/x/end`.

    Routed rather than left to handler404, because with DEBUG on Django answers an
    unmatched address with its HTML debug page. APPEND_SLASH keeps working: a GET of
    `/api/schema` still redirects to `/api/schema/`.
    """
    path = request.path_info
    if settings.APPEND_SLASH and request.method in ("GET", "HEAD") and not path.endswith("/"):
        try:
            match = resolve(f"{path}/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return json_error_response(request, 404, "There is nothing at this address.")


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


ERROR_DESCRIPTIONS = {
    400: "The request is not valid; `error.fields` says which fields and why.",
    401: "Not signed in, or the token or API key is not valid.",
    403: "Not allowed to do this (or a session write without its CSRF token).",
    404: "There is nothing at this address (or it is not yours), or the page is out of range.",
    405: "This method is not allowed here.",
    409: "The request conflicts with the current state of the resource.",
    415: "The body is not in a supported format; send JSON.",
    429: "Too many requests. Wait the number of seconds in the Retry-After header.",
}


def error_responses(*status_codes: int) -> dict[int, OpenApiResponse]:
    """`responses=` entries for extend_schema, all with the one error shape."""
    return {
        code: OpenApiResponse(ApiErrorSerializer, description=ERROR_DESCRIPTIONS.get(code, ""))
        for code in status_codes
    }


__all__ = [
    "ERROR_DESCRIPTIONS",
    "ApiErrorSerializer",
    "Conflict",
    "Pagination",
    "Response",
    "api_not_found",
    "error_body",
    "error_responses",
    "exception_handler",
    "query_int",
]
