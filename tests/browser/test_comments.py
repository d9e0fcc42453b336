"""Comments in a real browser: two people on one document, one comments on a passage, the
other sees the highlight and the thread appear without a reload, then types before the
passage and both highlights stay on exactly the same words (and the server agrees).

The editor pair is the issue's scenario; the second test puts one person on the document
page (selection in the rendered text, live updates through a socket without a document).
"""

from __future__ import annotations

import asyncio

import pytest

from .conftest import signed_in, wait_connected

pytestmark = pytest.mark.django_db(transaction=True)

START = (
    "# Attention notes\n\n"
    "Self-attention 😀 lets every token look at every other token.\n\n"
    "Scaling keeps the softmax away from tiny gradients.\n"
)
PASSAGE = "every other token"


@pytest.fixture
def two_people(make_user, make_document):
    ada = make_user(username="ada")
    lin = make_user(username="lin")
    document = make_document(
        title="Attention notes", slug="attention-notes", content=START, owner=ada
    )
    return ada, lin, document


async def open_editor(browser, server, user, document):
    context = await browser.new_context(viewport={"width": 1360, "height": 820})
    page = await signed_in(context, server, user, f"/docs/{document.slug}/edit/")
    await wait_connected(page)
    return context, page


async def select_in_editor(page, text: str) -> None:
    """Selects `text` in the editor as a person would (the selection, then focus)."""
    await page.evaluate(
        """(text) => {
            const view = learnaiEditor.view;
            const from = view.state.doc.toString().indexOf(text);
            view.focus();
            const selection = {anchor: from, head: from + text.length};
            view.dispatch({selection, userEvent: "select"});
        }""",
        text,
    )


async def highlight_texts(page) -> dict[str, str]:
    """Thread id -> the text its highlight covers on screen (CodeMirror may split a mark)."""
    return await page.evaluate(
        """() => {
            const out = {};
            for (const node of document.querySelectorAll(".cm-content .cm-comment[data-thread]")) {
                out[node.dataset.thread] = (out[node.dataset.thread] ?? "") + node.textContent;
            }
            return out;
        }"""
    )


async def wait_highlight(page, thread_id: int, text: str) -> None:
    await page.wait_for_function(
        """([id, text]) => {
            const parts = document.querySelectorAll(`.cm-content .cm-comment[data-thread="${id}"]`);
            return [...parts].map((n) => n.textContent).join("") === text;
        }""",
        arg=[thread_id, text],
    )


async def server_threads(page, document) -> list[dict]:
    return await page.evaluate(
        """async (id) => {
            const response = await fetch(`/api/documents/${id}/comments`);
            return (await response.json()).results;
        }""",
        document.pk,
    )


async def settled(pages) -> None:
    for page in pages:
        await page.wait_for_function(
            "() => learnaiEditor.client.pendingCount() === 0"
            " && learnaiEditor.client.status === 'connected'"
        )
    revisions = [await p.evaluate("() => learnaiEditor.client.revision") for p in pages]
    target = max(revisions)
    for page in pages:
        await page.wait_for_function(f"() => learnaiEditor.client.revision >= {target}")


async def test_a_comment_on_a_passage_reaches_the_other_editor_and_follows_the_text(
    browser, daphne_server, two_people
):
    ada, lin, document = two_people
    context_a, page_a = await open_editor(browser, daphne_server, ada, document)
    context_b, page_b = await open_editor(browser, daphne_server, lin, document)
    # Lin looks at the comments beside the text (the chat is the other choice).
    await page_b.click('[data-side-show="comments"]')
    await page_b.locator("#comments-pane .comments-empty").wait_for()

    # Ada selects a passage: a "Comment" button offers itself; she comments.
    await select_in_editor(page_a, PASSAGE)
    await page_a.locator(".cm-comment-button").click()
    draft = page_a.locator("#comment-draft-text")
    await draft.wait_for(state="visible")
    assert PASSAGE in await page_a.text_content("[data-draft-quote]")
    await draft.fill("Every token, including itself?")
    await page_a.locator("[data-comment-draft] button[type=submit]").click()
    thread = page_a.locator(".comment-thread", has_text="Every token, including itself?")
    await thread.wait_for()
    thread_id = int(await thread.get_attribute("data-thread-id"))
    await wait_highlight(page_a, thread_id, PASSAGE)

    # Lin sees the highlight and the thread appear, without reloading.
    await wait_highlight(page_b, thread_id, PASSAGE)
    lins_thread = page_b.locator(f'.comment-thread[data-thread-id="{thread_id}"]')
    await lins_thread.wait_for(state="visible")
    assert "Every token, including itself?" in await lins_thread.text_content()
    assert PASSAGE in await lins_thread.locator(".comment-quote").text_content()
    # Clicking the highlighted passage shows its thread.
    await page_b.locator(f'.cm-comment[data-thread="{thread_id}"]').first.click()
    await page_b.locator(f'.comment-thread.is-active[data-thread-id="{thread_id}"]').wait_for()

    # Lin types before the passage (in its line, and a new line above it).
    await page_b.evaluate(
        """() => {
            const view = learnaiEditor.view;
            const at = view.state.doc.toString().indexOf("Self-attention");
            view.focus();
            view.dispatch({selection: {anchor: at}, userEvent: "select"});
        }"""
    )
    await page_b.keyboard.type("In short: ", delay=10)
    await page_b.keyboard.press("Home")
    await page_b.keyboard.type("A new first line.", delay=5)
    await page_b.keyboard.press("Enter")
    await settled([page_a, page_b])

    # Both highlights still cover exactly the same words, and so does the server's anchor.
    for page in (page_a, page_b):
        await wait_highlight(page, thread_id, PASSAGE)
        assert await highlight_texts(page) == {str(thread_id): PASSAGE}
        assert (
            await page.evaluate(f"() => learnaiEditor.comments.highlightedText({thread_id})")
            == PASSAGE
        )
    text_a = await page_a.evaluate("() => learnaiEditor.view.state.doc.toString()")
    assert "A new first line.\nIn short: Self-attention 😀 lets every token" in text_a
    (stored,) = await server_threads(page_a, document)
    assert stored["anchor"]["text"] == PASSAGE and stored["anchor"]["outdated"] is False
    assert [*text_a][stored["anchor"]["start"] : stored["anchor"]["end"]] == [*PASSAGE]

    # Lin replies; Ada resolves: the reply arrives, and the highlight goes on both sides.
    await lins_thread.locator('[data-action="reply"]').click()
    await lins_thread.locator('[data-role="reply-text"]').fill("Yes, itself too.")
    await lins_thread.locator('[data-role="reply-text"]').press("Control+Enter")
    adas_thread = page_a.locator(f'.comment-thread[data-thread-id="{thread_id}"]')
    await adas_thread.locator(".comment", has_text="Yes, itself too.").wait_for()
    await adas_thread.locator('[data-action="resolve"]').click()
    for page in (page_a, page_b):
        await page.locator(
            f'[data-group="resolved"] .comment-thread[data-thread-id="{thread_id}"]'
        ).wait_for(state="attached")
        await page.wait_for_function(
            f"() => !document.querySelector('.cm-comment[data-thread=\"{thread_id}\"]')"
        )
    assert page_a.errors == [] and page_b.errors == []
    await context_a.close()
    await context_b.close()


async def test_a_comment_from_the_document_page_reaches_the_editor_and_back(
    browser, daphne_server, two_people
):
    ada, lin, document = two_people
    context_a = await browser.new_context(viewport={"width": 1280, "height": 900})
    reader = await signed_in(context_a, daphne_server, ada, f"/docs/{document.slug}/")
    await reader.locator("#comments-live[data-state=connected]").wait_for()
    context_b, editor = await open_editor(browser, daphne_server, lin, document)
    await editor.click('[data-side-show="comments"]')

    # Ada selects the passage in the rendered text and comments on it.
    await reader.evaluate(
        """(text) => {
            const article = document.querySelector(".doc-main .markdown");
            const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(text);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + text.length);
                getSelection().removeAllRanges();
                getSelection().addRange(range);
                return;
            }
            throw new Error("passage not rendered");
        }""",
        PASSAGE,
    )
    await reader.locator("#selection-comment-button").click()
    await reader.fill("#comment-draft-text", "Worth a diagram.")
    await reader.locator("[data-comment-draft] button[type=submit]").click()
    # The passage is highlighted in the rendered text.
    await reader.wait_for_function(
        """(text) => [...document.querySelectorAll(".doc-main mark.comment-mark")]
            .map((mark) => mark.textContent).join("") === text""",
        arg=PASSAGE,
    )
    mark = reader.locator("mark.comment-mark")
    thread_id = int(await mark.first.get_attribute("data-thread"))

    # Lin's editor highlights it; her reply reaches Ada's page live.
    await wait_highlight(editor, thread_id, PASSAGE)
    thread = editor.locator(f'.comment-thread[data-thread-id="{thread_id}"]')
    await thread.locator('[data-action="reply"]').click()
    await thread.locator('[data-role="reply-text"]').fill("I'll draw one.")
    await thread.locator("form[data-role=reply] button[type=submit]").click()
    reply = reader.locator(
        f'.comment-thread[data-thread-id="{thread_id}"] .comment', has_text="I'll draw one."
    )
    await reply.wait_for()

    # She deletes her reply again (after confirming): it goes from Ada's page too.
    editor.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await (
        thread.locator(".comment", has_text="I'll draw one.")
        .locator('[data-action="delete"]')
        .click()
    )
    await reply.wait_for(state="detached")

    # A general comment from the page reaches the editor too.
    await reader.fill("#comment-general-text", "Great notes overall.")
    await reader.locator("[data-comment-general] button[type=submit]").click()
    await editor.locator(
        '[data-group="general"] .comment', has_text="Great notes overall."
    ).wait_for()
    assert reader.errors == [] and editor.errors == []
    await context_a.close()
    await context_b.close()


async def test_anonymous_readers_see_threads_and_a_way_to_sign_in(
    browser, daphne_server, two_people
):
    ada, _lin, document = two_people
    context = await browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    author = await signed_in(context, daphne_server, ada, f"/docs/{document.slug}/")
    await author.evaluate(
        """async (id) => {
            const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
            const response = await fetch(`/api/documents/${id}/comments`, {
                method: "POST",
                headers: {"Content-Type": "application/json", "X-CSRFToken": token},
                body: JSON.stringify({content: "Anyone can read this.", comment_type: "general"}),
            });
            if (response.status !== 201) throw new Error(await response.text());
        }""",
        document.pk,
    )
    await context.close()
    context = await browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = await context.new_page()
    await page.goto(f"{daphne_server.base_url}/docs/{document.slug}/")
    await page.locator(".comment", has_text="Anyone can read this.").wait_for()
    await page.locator("a.comments-signin", has_text="Sign in to comment").wait_for()
    assert await page.locator("#comment-general-text").count() == 0
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"the document page with comments is {width}px wide at 375px"
    await context.close()
