"""Error tracking with Sentry, off unless SENTRY_DSN is set (config/settings.py calls
`sentry_init`): Django requests, Celery tasks and the socket consumer.

The consumer catches what a frame raises at its boundary and logs it with the traceback;
the logging integration turns those error logs into events, as it does for daphne's own
"Exception inside application". Each socket gets its own Sentry scope (`wrap_asgi`), so an
event never carries another connection's breadcrumbs.

Personal data does not leave. What the SDK collects is narrowed first (`DATA_COLLECTION`:
no user, no cookies, no client address, no request bodies, which hold what people wrote),
then every event and breadcrumb passes `scrub`: it replaces values under sensitive names
(passwords, tokens, cookies, Authorization, emails, ...) anywhere in the event, headers and
local variables included, and masks what looks like an email address, a bearer token, an
API key or a JWT inside any text (exception messages, log lines, query strings, source
lines). Imports no Django: the settings import it.
"""

from __future__ import annotations

import logging
import re

import sentry_sdk
from sentry_sdk.integrations.asgi import SentryAsgiMiddleware
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.transport import Transport

FILTERED = "[Filtered]"

# Header, cookie and query names the SDK drops besides its own list (auth, token, session...).
PRIVATE_TERMS = ["forwarded", "-ip", "remote-", "via", "-user", "email", "cookie"]
DATA_COLLECTION = {
    "user_info": False,
    "cookies": {"mode": "off"},
    "http_headers": {"request": {"mode": "denylist", "terms": PRIVATE_TERMS}},
    "http_bodies": [],
    "url_query_params": {"mode": "denylist", "terms": PRIVATE_TERMS},
    "database_query_data": False,
    "queues": False,
    "stack_frame_variables": True,  # local variables help most; `scrub` masks them
}

# Key names (any case, any part of the name) whose values never leave.
SENSITIVE_KEY = re.compile(
    r"passw|secret|token|authori[sz]ation|cookie|csrf|session|api[-_]?key|credential|"
    r"e-?mail|jwt|signature|private[-_]?key|dsn|x[-_]forwarded[-_]for|remote[-_]addr",
    re.IGNORECASE,
)
# What a value may hide inside a longer text.
SENSITIVE_TEXT = (
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # an email address
    re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*"),  # a JWT (its header always starts so)
    re.compile(r"\b(?:Bearer|Api-Key|Token|Basic)\s+[\w.~+/=-]{6,}", re.IGNORECASE),
    re.compile(
        r"(?:^|(?<=[?&;\s\"']))(?:password|passwd|token|access|refresh|api[-_]?key|secret|key)"
        r"=[^&\s\"']+",
        re.IGNORECASE,
    ),
)


def scrub_text(text: str) -> str:
    for pattern in SENSITIVE_TEXT:
        text = pattern.sub(FILTERED, text)
    return text


def scrub(value, key: str | None = None):
    """A copy of `value` with sensitive names' values replaced and texts masked."""
    if key is not None and SENSITIVE_KEY.search(key) and value not in (None, "", [], {}):
        return FILTERED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub(v, k if isinstance(k, str) else None) for k, v in value.items()}
    if isinstance(value, list | tuple):
        # Headers come as [name, value] pairs: the name decides for the value.
        if len(value) == 2 and isinstance(value[0], str) and SENSITIVE_KEY.search(value[0]):
            return [value[0], FILTERED]
        return [scrub(item) for item in value]
    return value


def before_send(event: dict, hint: dict) -> dict:
    event = scrub(event)
    event.pop("user", None)  # nothing about the person, not even what an integration added
    return event


def before_breadcrumb(crumb: dict, hint: dict) -> dict:
    return scrub(crumb)


def sentry_init(
    *,
    dsn: str,
    environment: str,
    release: str | None = None,
    traces_sample_rate: float = 0.0,
    transport: type[Transport] | Transport | None = None,
) -> None:
    """Turns Sentry on for this process (web, worker or beat). `transport` is for tests."""
    options = {}
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        data_collection=DATA_COLLECTION,
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        **options,
    )


def wrap_asgi(application):
    """The ASGI app with a Sentry scope per connection, when Sentry is on."""
    if not sentry_sdk.get_client().is_active():
        return application
    return SentryAsgiMiddleware(application)
