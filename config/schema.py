"""OpenAPI postprocessing: every operation lists each error status it can answer.

Some errors come from the machinery around a view (authentication, throttles, parsers,
pagination, routing) rather than from the view, so its annotations miss them. This hook
adds them, each with the one error body of config.api:

- 429 everywhere: throttles apply to every endpoint;
- 401 and 403 where the operation accepts credentials: a token, key or session that no
  longer works is refused before the view runs, and so is a session write without its
  CSRF token;
- 404 where the address has a path parameter (it may name nothing, or not match the
  route at all) or a page number (a page after the last one);
- 400 where the operation reads a body or query parameters (malformed JSON, a page
  number of 0), and 415 where it reads a body (anything but JSON).

A status an operation documents itself keeps its own description and body.
"""

from __future__ import annotations

from typing import Any

from .api import ERROR_DESCRIPTIONS

ERROR_COMPONENT = "ApiError"  # config.api.ApiErrorSerializer
HTTP_METHODS = frozenset({"get", "put", "post", "patch", "delete", "head", "options", "trace"})


def _accepts_credentials(operation: dict[str, Any]) -> bool:
    # drf-spectacular lists one requirement per scheme, plus {} when anonymous is allowed.
    return any(requirement for requirement in operation.get("security", []))


def _error_statuses(operation: dict[str, Any]) -> set[int]:
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    statuses = {429}
    if _accepts_credentials(operation):
        statuses |= {401, 403}
    if any(p["in"] == "path" for p in parameters) or any(
        p["in"] == "query" and p["name"] == "page" for p in parameters
    ):
        statuses.add(404)
    if has_body or any(p["in"] == "query" for p in parameters):
        statuses.add(400)
    if has_body:
        statuses.add(415)
    return statuses


def _error_response(status: int) -> dict[str, Any]:
    # A new dict each time: shared objects would come out as YAML anchors and aliases.
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}
        },
    }


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS entry (see the module docstring)."""
    if ERROR_COMPONENT not in result.get("components", {}).get("schemas", {}):
        raise LookupError(f"the schema has no {ERROR_COMPONENT} component to refer to")
    for path_item in result["paths"].values():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation["responses"]
            for status in _error_statuses(operation):
                responses.setdefault(str(status), _error_response(status))
            operation["responses"] = dict(sorted(responses.items()))
    return result
