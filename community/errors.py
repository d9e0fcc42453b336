"""Exceptions community services raise; the API, pages and sockets present them their way."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class CommunityError(Exception):
    """A refused action; `code` is stable for clients, `message` written for people."""

    code = "invalid"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(CommunityError):
    """The request names something impossible (an anchor outside the text, ...); `field`
    is the input field at fault."""

    def __init__(self, message: str, field: str = "non_field_errors"):
        super().__init__(message)
        self.field = field


class NotAllowed(CommunityError, PermissionDenied):
    """The user may see the item but not do this to it."""

    code = "forbidden"


class InsufficientReputation(NotAllowed):
    """The right needs more reputation than the user has."""

    code = "insufficient_reputation"

    def __init__(self, message: str, threshold: int):
        super().__init__(message)
        self.threshold = threshold


class Conflict(CommunityError):
    """The item's state forbids it now (closed question, locked post, ...)."""

    code = "conflict"
