"""The writing assistant's rules and its stream.

`prepare` decides everything before a byte is streamed (feature on, signed in, may read
the document, a passage of the text at a revision the history still holds, the per-user
rate), so a refusal is an ordinary JSON error. `stream` then asks the endpoint and yields
server-sent events: `progress` (waiting, writing), `delta` (text as it arrives), and
`done` or `error`. An improvement ends as a suggestion in the person's suggestions
proposal (suggestion mode), never as an edit: someone who may edit accepts it or not.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import openai
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

from collaboration import history
from collaboration.models import Document
from collaboration.permissions import can_read_document, is_signed_in

from ..errors import ContributionsError, InvalidInput, NotAllowed, NotFound
from ..proposals import suggestions
from . import config, prompts

if TYPE_CHECKING:
    from accounts.models import User

RATE_WINDOW_SECONDS = 3600
FAILED = "The writing assistant is not answering right now. Try again in a minute."


class RateLimited(ContributionsError):
    """Too many requests this hour (429)."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class AssistRequest:
    document: Document
    user: User
    action: str
    start: int
    end: int
    revision: int
    messages: list[dict]


def _clean_position(value: object, field: str) -> int:
    if type(value) is not int or value < 0:
        raise InvalidInput(f"{field} must be a whole number, 0 or more.", field=field)
    return value


def _take_rate(user_id: int) -> None:
    key = f"contributions:assist:{user_id}"
    cache.add(key, 0, RATE_WINDOW_SECONDS)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, RATE_WINDOW_SECONDS)
        used = 1
    if used > settings.ASSIST_RATE_PER_HOUR:
        raise RateLimited(
            f"You have asked the writing assistant {settings.ASSIST_RATE_PER_HOUR} times "
            "this hour, the most it answers. Try again later.",
            retry_after=RATE_WINDOW_SECONDS,
        )


def prepare(
    *, document: Document, user, action: object, start: object, end: object, revision: object
) -> AssistRequest:
    if not config.enabled():
        raise NotFound("The writing assistant is not set up on this site.")
    if not is_signed_in(user):
        raise NotAllowed("Sign in to use the writing assistant.")
    if not can_read_document(user, document):
        raise NotFound("No such document, or you may not read it.")
    if action not in prompts.ACTIONS:
        raise InvalidInput("action is improve or explain.", field="action")
    start = _clean_position(start, "start")
    end = _clean_position(end, "end")
    revision = _clean_position(revision, "revision")
    if revision > document.revision:
        raise InvalidInput(f"The document is at revision {document.revision}.", field="revision")
    try:
        text = history.content_at(document_id=document.pk, revision=revision)
    except history.HistoryError:
        raise InvalidInput(
            "That revision is no longer kept: select the passage again.", field="revision"
        ) from None
    if not start < end <= len(text):
        raise InvalidInput(f"Select a passage: 0 <= start < end <= {len(text)}.", field="end")
    if end - start > settings.ASSIST_MAX_CHARS:
        raise InvalidInput(f"Select at most {settings.ASSIST_MAX_CHARS} characters.", field="end")
    _take_rate(user.pk)
    return AssistRequest(
        document=document,
        user=user,
        action=action,
        start=start,
        end=end,
        revision=revision,
        messages=prompts.messages(
            action=action, title=document.title, text=text, start=start, end=end
        ),
    )


def event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _client() -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL,
        timeout=settings.ASSIST_TIMEOUT_SECONDS,
        max_retries=0,
    )


async def stream(request: AssistRequest) -> AsyncIterator[str]:
    yield event("progress", {"state": "waiting"})
    parts: list[str] = []
    try:
        answer = await _client().chat.completions.create(
            model=settings.OPENAI_MODEL,
            messages=request.messages,
            stream=True,
            max_tokens=settings.ASSIST_MAX_TOKENS,
        )
        async for chunk in answer:
            delta = chunk.choices[0].delta.content if chunk.choices else None
            if not delta:
                continue
            if not parts:
                yield event("progress", {"state": "writing"})
            parts.append(delta)
            yield event("delta", {"text": delta})
    except (openai.OpenAIError, TimeoutError):
        yield event("error", {"code": "assistant_failed", "message": FAILED})
        return
    text = "".join(parts).strip()
    if not text:
        yield event("error", {"code": "assistant_failed", "message": FAILED})
        return
    result: dict = {"text": text}
    if request.action == "improve":
        try:
            suggestion, _new = await sync_to_async(suggestions.suggestion_create)(
                document=request.document,
                user=request.user,
                start=request.start,
                end=request.end,
                text=text,
                revision=request.revision,
            )
        except ContributionsError as exc:
            yield event("error", {"code": exc.code, "message": exc.message})
            return
        result["suggestion"] = await sync_to_async(suggestions.summary)(suggestion)
    yield event("done", result)
