"""Suggestion mode in a real browser (headless Chromium against a daphne process): a reader
who may not edit types over a typo; the text stays as it is for everyone, the suggestion is
drawn in place on both pages (struck through, the new text underlined), follows the text
when the editor types before it, and once the editor accepts it from the popover both
editors hold the corrected text, credited to the reader. The editor then switches to
"Suggest" and her own typing becomes a suggestion too."""

# The browser tests' fixtures (tests/browser/conftest.py) are imported, then requested by
# name as arguments, which ruff reads as redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from collaboration.models import EditPolicy, Operation
from contributions.models import Suggestion
from tests.browser.conftest import (  # noqa: F401 - fixtures
    _close_async_db_connections,
    browser,
    daphne_server,
    make_document,
    make_user,
    signed_in,
    wait_connected,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

START = "# Attention\n\nThe quick brown fox jumps over teh lazy dog.\n\nThe end.\n"


@pytest.fixture
def people(make_user, make_document):
    olga = make_user(username="olga")
    rita = make_user(username="rita")
    document = make_document(
        title="Attention", slug="attention", content=START, owner=olga,
        edit_policy=EditPolicy.MEMBERS,
    )  # fmt: skip
    return olga, rita, document


async def open_editor(browser, server, user, document, width=1360):
    context = await browser.new_context(viewport={"width": width, "height": 820})
    page = await signed_in(context, server, user, f"/docs/{document.slug}/edit/")
    await wait_connected(page)
    await page.locator("#suggestions-list").wait_for(state="attached")
    return context, page


async def put_caret(page, before: str, offset: int = 0, length: int = 0) -> None:
    """Puts the caret (or a selection of `length`) where `before` starts, plus `offset`."""
    await page.evaluate(
        """([text, offset, length]) => {
            const view = learnaiEditor.view;
            const at = view.state.doc.toString().indexOf(text) + offset;
            view.focus();
            view.dispatch({selection: {anchor: at, head: at + length}, userEvent: "select"});
        }""",
        [before, offset, length],
    )


async def text_of(page) -> str:
    return await page.evaluate("() => learnaiEditor.view.state.doc.toString()")


async def drawn(page, suggestion_id: int) -> tuple[str, str]:
    """(struck-through text, suggested text) of a suggestion as the editor draws it."""
    return await page.evaluate(
        """(id) => {
            const join = (sel) =>
                [...document.querySelectorAll(sel)].map((n) => n.textContent).join("");
            return [
                join(`.cm-content .cm-suggest-del[data-suggestion="${id}"]`),
                join(`.cm-content .cm-suggest-ins[data-suggestion="${id}"]`),
            ];
        }""",
        suggestion_id,
    )


async def wait_drawn(page, suggestion_id: int, struck: str, inserted: str) -> None:
    await page.wait_for_function(
        """([id, struck, inserted]) => {
            const join = (sel) =>
                [...document.querySelectorAll(sel)].map((n) => n.textContent).join("");
            return join(`.cm-content .cm-suggest-del[data-suggestion="${id}"]`) === struck
                && join(`.cm-content .cm-suggest-ins[data-suggestion="${id}"]`) === inserted;
        }""",
        arg=[suggestion_id, struck, inserted],
    )


@sync_to_async
def stored_suggestions() -> list[Suggestion]:
    return list(Suggestion.objects.select_related("author").order_by("pk"))


async def wait_stored(count: int, page) -> list[Suggestion]:
    for _ in range(100):
        found = await stored_suggestions()
        if len(found) >= count:
            return found
        await page.wait_for_timeout(100)
    raise AssertionError(f"expected {count} suggestions to be saved")


async def test_a_reader_suggests_and_the_editor_accepts_it_live(browser, daphne_server, people):
    olga, rita, document = people
    context_o, editor = await open_editor(browser, daphne_server, olga, document)
    context_r, reader = await open_editor(browser, daphne_server, rita, document, width=390)

    # Rita may not edit: she is suggesting, and the page says so.
    assert await reader.locator("#suggest-toggle").is_checked()
    assert await reader.locator("#suggest-toggle").is_disabled()
    assert "suggestions" in await reader.text_content("#readonly-banner")
    assert not await editor.locator("#suggest-toggle").is_checked()

    # She selects the typo and types over it: her text does not change, the draft shows.
    await put_caret(reader, "teh", length=3)
    await reader.keyboard.type("the", delay=20)
    assert await text_of(reader) == START
    await reader.locator(".cm-suggest-ins.cm-suggest-draft", has_text="the").wait_for()
    (saved,) = await wait_stored(1, reader)
    assert (saved.original, saved.text, saved.author.username) == ("teh", "the", "rita")

    # Olga sees it in her text at once, and in the list under it.
    await wait_drawn(editor, saved.pk, "teh", "the")
    await wait_drawn(reader, saved.pk, "teh", "the")
    await editor.locator(
        "#suggestions-list .suggestion-item", has_text="Replace “teh” with “the”"
    ).wait_for()

    # She types before it: it follows the text on both pages.
    await put_caret(editor, "The quick")
    await editor.keyboard.type("Indeed, ", delay=10)
    await wait_connected(editor)
    await reader.wait_for_function(
        "() => learnaiEditor.view.state.doc.toString().includes('Indeed, ')"
    )
    for page in (editor, reader):
        await wait_drawn(page, saved.pk, "teh", "the")

    # She accepts it from the popover: both texts are corrected, the marks go.
    await editor.locator(f'.cm-content .cm-suggest-del[data-suggestion="{saved.pk}"]').click()
    await editor.locator(".cm-suggest-popover button", has_text="Accept").click()
    for page in (editor, reader):
        await page.wait_for_function(
            "() => learnaiEditor.view.state.doc.toString().includes('over the lazy dog')"
        )
        await page.wait_for_function("() => !document.querySelector('.cm-content .cm-suggest-del')")
    await wait_connected(editor)
    assert await text_of(editor) == await text_of(reader)
    operation = await sync_to_async(Operation.objects.get)(document=document, source="suggestion")
    assert (operation.user_id, operation.actor_id) == (rita.pk, olga.pk)

    # Olga switches to suggesting: her own typing becomes a suggestion, not an edit.
    await editor.locator("#suggest-toggle").check()
    await editor.locator("#suggest-banner").wait_for(state="visible")
    before = await text_of(editor)
    await put_caret(editor, "The end.", offset=len("The end"))
    await editor.keyboard.type(", for now", delay=20)
    await editor.locator("#chat-input").click()  # leaving the text sends it at once
    mine = (await wait_stored(2, editor))[-1]
    assert (mine.author.username, mine.text, mine.original) == ("olga", ", for now", "")
    assert await text_of(editor) == before
    await wait_drawn(reader, mine.pk, "", ", for now")
    assert editor.errors == [] and reader.errors == []
    await context_o.close()
    await context_r.close()
