"""The contributions services' errors as API answers in the project's error format:
NotAllowed 403, NotFound 404, Conflict 409, any other ContributionsError 400 (on its field
when it names one). Every contributions API view derives from `ContributionsApi`."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.views import APIView

from config.api import Conflict as ApiConflict

from ..errors import Conflict, ContributionsError, InvalidInput, NotAllowed, NotFound


def as_api_error(exc: ContributionsError) -> exceptions.APIException:
    if isinstance(exc, NotAllowed):
        return exceptions.PermissionDenied(exc.message, code=exc.code)
    if isinstance(exc, NotFound):
        return exceptions.NotFound(exc.message, code=exc.code)
    if isinstance(exc, Conflict):
        return ApiConflict(exc.message, code=exc.code)
    if isinstance(exc, InvalidInput) and exc.field:
        return exceptions.ValidationError({exc.field: [exc.message]})
    return exceptions.ValidationError({"non_field_errors": [exc.message]})


class ContributionsApi(APIView):
    def handle_exception(self, exc):
        if isinstance(exc, ContributionsError):
            exc = as_api_error(exc)
        return super().handle_exception(exc)
