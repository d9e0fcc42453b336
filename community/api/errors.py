"""Community service errors as API errors: one error body for the whole API.

`insufficient_reputation` answers 403 with the threshold (`error.threshold`), so a client
can say how far the person is from the right.
"""

from __future__ import annotations

from rest_framework import exceptions

from config.api import Conflict as ApiConflict

from ..errors import CommunityError, Conflict, InsufficientReputation, InvalidInput, NotAllowed


class InsufficientReputationError(exceptions.PermissionDenied):
    default_code = "insufficient_reputation"

    def __init__(self, message: str, threshold: int):
        super().__init__(message, code="insufficient_reputation")
        self.extra = {"threshold": threshold}


def as_api_error(exc: CommunityError) -> exceptions.APIException:
    if isinstance(exc, InsufficientReputation):
        return InsufficientReputationError(exc.message, exc.threshold)
    if isinstance(exc, NotAllowed):
        return exceptions.PermissionDenied(exc.message, code=exc.code)
    if isinstance(exc, InvalidInput):
        return exceptions.ValidationError({exc.field: [exc.message]})
    if isinstance(exc, Conflict):
        return ApiConflict(exc.message, code=exc.code)
    return exceptions.ValidationError({"non_field_errors": [exc.message]})


class CommunityErrorsMixin:
    """For API views: service errors become the matching 4xx answer."""

    def handle_exception(self, exc):
        if isinstance(exc, CommunityError):
            exc = as_api_error(exc)
        return super().handle_exception(exc)
