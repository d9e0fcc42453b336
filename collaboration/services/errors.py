"""Exceptions services raise; the API, pages and sockets each present them their way."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class ActionForbidden(PermissionDenied):
    """The user may see the object but not do this to it; the message says why."""


class EditRefused(Exception):
    """An edit refused before it reached the commit path.

    `code` is the protocol's error code (realtime-protocol.md), `field` the input field
    at fault, for callers that report errors per field (the REST API).
    """

    def __init__(self, code: str, message: str, field: str = "edit"):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class SessionError(Exception):
    """A collaboration session refused a join; `code` names the reason for clients."""

    code = "session_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SessionFull(SessionError):
    code = "session_full"


class SessionForbidden(SessionError):
    code = "forbidden"


class SessionClosed(SessionError):
    code = "session_closed"
