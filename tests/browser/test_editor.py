"""The live editor in a real browser: two people at once, awareness, offline, phones.

Every scenario ends by comparing what each browser shows with Document.content in the
database: the server's text is the truth, and the editors must agree with it exactly.
"""

import asyncio
from collections import Counter

import pytest
from asgiref.sync import sync_to_async

from collaboration.models import (
    DocumentMember,
    EditPolicy,
    MemberRole,
    Operation,
    Visibility,
)
from collaboration.selectors import document_text

from .conftest import ROOT, editor_state, login, signed_in, wait_connected

pytestmark = pytest.mark.django_db(transaction=True)

START = "# Shared notes\n\nAttention 😀 is all you need.\n"
RICH = """# Scaled dot-product attention

Attention lets every token look at every other token. For queries $Q$, keys $K$ and
values $V$:

$$ \\mathrm{Attention}(Q, K, V) = \\mathrm{softmax}(QK^T / \\sqrt{d_k})\\,V $$

## Why scale by $\\sqrt{d_k}$?

- dot products grow with the dimension $d_k$;
- large logits push the **softmax** into regions with tiny gradients;
- dividing keeps their variance near 1.

```python
def attention(q, k, v):
    scores = q @ k.T / math.sqrt(q.shape[-1])
    return softmax(scores) @ v
```

> Tip: masks are added to `scores` before the softmax. 😀
"""


async def db_document(pk: int) -> dict:
    revision, content = await sync_to_async(document_text)(document_id=pk)
    return {"revision": revision, "content": content}


async def settled(pages, pk: int, timeout: float = 20) -> str:
    """Waits until every page has no pending edit and shows the database's text."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        doc = await db_document(pk)
        states = [await editor_state(page) for page in pages]
        if all(
            s["pending"] == 0 and s["status"] == "connected" and s["text"] == doc["content"]
            for s in states
        ):
            return doc["content"]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"editors did not settle on the server's text: {states} vs {doc}")
        await asyncio.sleep(0.2)


async def type_at_end(page, text: str, delay: float = 15) -> None:
    await page.click(".cm-content")
    await page.keyboard.press("Control+End")
    await page.keyboard.type(text, delay=delay)


@pytest.fixture
def two_editors(make_user, make_document):
    ada = make_user(username="ada")
    lin = make_user(username="lin")
    document = make_document(title="Shared notes", slug="shared-notes", content=START, owner=ada)
    return ada, lin, document


@pytest.fixture
def two_editors_rich(make_user, make_document):
    ada = make_user(username="ada", full_name="Ada Lovelace")
    lin = make_user(username="lin", full_name="Lin Chen")
    document = make_document(
        title="Attention, step by step", slug="attention-step-by-step", content=RICH, owner=ada
    )
    return ada, lin, document


async def open_two(browser, daphne_server, ada, lin, document, *, real_login=False):
    contexts = [await browser.new_context(viewport={"width": 1360, "height": 820}) for _ in "ab"]
    path = f"/docs/{document.slug}/edit/"
    sign_in = login if real_login else signed_in
    pages = [
        await sign_in(contexts[0], daphne_server, ada, path),
        await sign_in(contexts[1], daphne_server, lin, path),
    ]
    for page in pages:
        await wait_connected(page)
    return contexts, pages


async def test_two_people_typing_at_once_end_with_the_servers_text(
    browser, daphne_server, two_editors
):
    ada, lin, document = two_editors
    # Through the real login page once: the socket then rides that session's cookie.
    contexts, (page_a, page_b) = await open_two(
        browser, daphne_server, ada, lin, document, real_login=True
    )

    async def burst(page, word):
        await page.click(".cm-content")
        for i in range(6):
            # Both type at the end (same position: the tie-break) and at the start.
            await page.keyboard.press("Control+End" if i % 2 == 0 else "Control+Home")
            await page.keyboard.type(f"{word}{i}😀 ", delay=5)

    await asyncio.gather(burst(page_a, "ada"), burst(page_b, "lin"))
    text = await settled([page_a, page_b], document.pk)
    # Concurrent inserts at one spot may interleave (that is OT), but every typed character
    # is there exactly once: nothing lost, nothing doubled.
    typed = "".join(f"{word}{i}😀 " for word in ("ada", "lin") for i in range(6))
    assert Counter(text) - Counter(START) == Counter(typed)
    assert len(text) == len(START) + len(typed)
    assert "Attention 😀 is all you need." in text
    # The page shows it as saved.
    badge = await page_a.text_content("#conn-badge")
    assert "all changes saved" in badge
    for page in (page_a, page_b):
        assert page.errors == []
    for context in contexts:
        await context.close()


async def test_remote_cursor_chat_and_screenshot(browser, daphne_server, two_editors_rich):
    ada, lin, document = two_editors_rich
    contexts, (page_a, page_b) = await open_two(browser, daphne_server, ada, lin, document)

    # Lin selects a word: Ada sees a caret labelled "lin" and a highlighted selection.
    await page_b.click(".cm-content")
    await page_b.keyboard.press("Control+End")
    await page_b.keyboard.type("\nMulti-head attention runs several of these in parallel.", delay=2)
    await page_b.keyboard.press("Shift+Home")
    label = page_a.locator(".cm-remote-label", has_text="lin")
    await label.wait_for(state="visible", timeout=10_000)
    await page_a.locator(".cm-remote-selection").first.wait_for(state="visible")

    # Ada sees who is here, and who is typing.
    await page_a.locator("#participants li", has_text="lin").wait_for()
    await page_a.locator("#participants li", has_text="ada").wait_for()
    await page_b.keyboard.press("End")
    await page_b.keyboard.type(" More", delay=5)
    await page_a.locator("#typing", has_text="lin is typing").wait_for(timeout=5_000)

    # Chat goes both ways, and the history is there after a reload.
    await page_a.fill("#chat-input", "Hi Lin, I'll take the maths section.")
    await page_a.click("#chat-send")
    await page_b.locator(".chat-item", has_text="I'll take the maths section").wait_for()
    await page_b.fill("#chat-input", "Great, I'll do the code.")
    await page_b.press("#chat-input", "Enter")
    await page_a.locator(".chat-item", has_text="I'll do the code").wait_for()

    # Ada types too, so the screenshot shows both of them at work.
    await page_a.click(".cm-content")
    await page_a.keyboard.press("Control+Home")
    for _ in range(11):
        await page_a.keyboard.press("ArrowDown")
    await page_a.keyboard.press("End")
    await page_a.keyboard.type(" (see below)", delay=5)
    await page_b.locator(".cm-remote-label", has_text="ada").wait_for(state="visible")
    await settled([page_a, page_b], document.pk)
    await page_b.locator(".cm-remote-label", has_text="ada").wait_for(state="visible")
    await page_b.wait_for_timeout(400)  # let the preview catch up with the last keystrokes
    await page_b.screenshot(path=str(ROOT / "test-output" / "editor-two-users.png"))

    await page_b.reload()
    await wait_connected(page_b)
    await page_b.locator(".chat-item", has_text="I'll take the maths section").wait_for()

    # When Lin leaves, her cursor disappears from Ada's editor.
    await contexts[1].close()
    await page_a.locator(".cm-remote-label", has_text="lin").wait_for(
        state="detached", timeout=10_000
    )
    await page_a.locator("#participants li", has_text="lin").wait_for(state="detached")
    assert page_a.errors == []
    await contexts[0].close()


async def test_offline_edits_survive_a_reload_and_arrive_once(browser, daphne_server, two_editors):
    ada, lin, document = two_editors
    contexts, (page_a, page_b) = await open_two(browser, daphne_server, ada, lin, document)
    context_a = contexts[0]

    # The service worker controls the page once it is active; a reload lets it cache the
    # editor page itself, so the page can come back while offline. Ada also reads the
    # document page, which stays readable offline too.
    await page_a.wait_for_function("() => navigator.serviceWorker.controller !== null")
    reader = await context_a.new_page()
    await reader.goto(f"{daphne_server.base_url}/docs/{document.slug}/")
    await page_a.reload()
    await wait_connected(page_a)

    await context_a.set_offline(True)
    await page_a.wait_for_function("() => learnaiEditor.client.status === 'offline'")
    await type_at_end(page_a, "Written offline 😀 in a tunnel.")
    await page_a.locator("#conn-badge", has_text="kept in this browser").wait_for()
    # Meanwhile Lin keeps editing online.
    await type_at_end(page_b, "Lin online.")
    await settled([page_b], document.pk)

    # The document page Ada read comes back offline: the cached copy, without Lin's edit.
    response = await reader.reload()
    assert response.from_service_worker
    await reader.locator("h1.doc-page-title", has_text="Shared notes").wait_for()
    article = await reader.text_content(".markdown")
    assert "Attention 😀 is all you need." in article
    assert "Lin online." not in article
    await reader.close()

    # Reload while still offline: the page comes from the service worker's cache, the
    # pending edits from localStorage.
    response = await page_a.reload()
    assert response.from_service_worker
    await page_a.wait_for_function("() => window.learnaiEditor !== undefined")
    state = await editor_state(page_a)
    assert "Written offline 😀 in a tunnel." in state["text"]
    assert state["pending"] > 0
    assert state["status"] == "offline"
    assert "Lin online." not in state["text"]

    await context_a.set_offline(False)
    text = await settled([page_a, page_b], document.pk)
    assert text.count("Written offline 😀 in a tunnel.") == 1
    assert text.count("Lin online.") == 1
    assert page_a.errors == []
    for context in contexts:
        await context.close()


async def test_edits_the_server_cannot_take_are_kept_and_the_editor_stops(
    browser, daphne_server, two_editors
):
    ada, lin, document = two_editors
    contexts, (page_a, page_b) = await open_two(browser, daphne_server, ada, lin, document)

    await contexts[0].set_offline(True)
    await page_a.wait_for_function("() => learnaiEditor.client.status === 'offline'")
    await type_at_end(page_a, "Offline work that cannot be merged.")
    await type_at_end(page_b, "Online work.")
    await settled([page_b], document.pk)
    # The history Ada's edits are based on is gone (as after a history purge).
    await sync_to_async(Operation.objects.filter(document_id=document.pk).delete)()

    await contexts[0].set_offline(False)
    banner = page_a.locator("#conflict-banner")
    await banner.wait_for(state="visible", timeout=15_000)
    kept = await page_a.input_value("#conflict-text")
    assert "Offline work that cannot be merged." in kept
    assert await page_a.locator(".cm-content").get_attribute("contenteditable") == "false"
    assert "Not syncing" in await page_a.text_content("#conn-badge")
    doc = await db_document(document.pk)
    assert "Offline work" not in doc["content"]

    # "Reload the latest version" starts over from the server's text.
    page_a.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page_a.click("#conflict-reload")
    await wait_connected(page_a)
    assert (await editor_state(page_a))["text"] == doc["content"]
    for context in contexts:
        await context.close()


@pytest.fixture
def owner_and_viewer(make_user, make_document):
    owner = make_user(username="owner")
    viewer = make_user(username="viewer")
    document = make_document(
        slug="members-notes",
        content=START,
        owner=owner,
        visibility=Visibility.RESTRICTED,
        edit_policy=EditPolicy.MEMBERS,
    )
    DocumentMember.objects.create(document=document, user=viewer, role=MemberRole.VIEWER)
    return owner, viewer, document


async def test_read_only_users_see_live_changes_but_cannot_type(
    browser, daphne_server, owner_and_viewer
):
    owner, viewer, document = owner_and_viewer
    context_o = await browser.new_context()
    context_v = await browser.new_context()
    path = f"/docs/{document.slug}/edit/"
    page_o = await signed_in(context_o, daphne_server, owner, path)
    page_v = await signed_in(context_v, daphne_server, viewer, path)
    await wait_connected(page_o)
    await wait_connected(page_v)
    await page_v.locator("#readonly-banner").wait_for(state="visible")
    # A viewer's typing becomes suggestions (suggestion mode), never edits of the text.
    assert await page_v.locator("#suggest-toggle").is_checked()
    await type_at_end(page_v, "Viewer's idea.")
    assert (await editor_state(page_v))["text"] == START
    assert (await editor_state(page_v))["pending"] == 0
    await type_at_end(page_o, "Owner's update.")
    await page_v.locator(".cm-content", has_text="Owner's update.").wait_for()
    await context_o.close()
    await context_v.close()


@pytest.fixture
def phone_user_and_document(make_user, make_document):
    user = make_user(username="phone")
    long_line = "A_very_long_unbroken_identifier_" * 8
    document = make_document(
        slug="phone-doc",
        owner=user,
        content=f"# Phone\n\n{long_line}\n\n| a | b | c | d |\n|---|---|---|---|\n"
        f"| {long_line} | 2 | 3 | 4 |\n\n```\n{long_line}\n```\n",
    )
    return user, document


async def test_phone_width_pages_do_not_scroll_sideways(
    browser, daphne_server, phone_user_and_document
):
    user, document = phone_user_and_document
    context = await browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )

    async def assert_fits(page, what):
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, f"{what} is {width}px wide at 375px"

    page = await context.new_page()
    await page.goto(f"{daphne_server.base_url}/accounts/login/")
    await assert_fits(page, "the login page")
    await page.close()

    page = await signed_in(context, daphne_server, user, "/")
    await assert_fits(page, "the home page")
    await page.goto(f"{daphne_server.base_url}/docs/{document.slug}/")
    await assert_fits(page, "the document page")
    await page.goto(f"{daphne_server.base_url}/docs/{document.slug}/edit/")
    await wait_connected(page)
    for view in ("write", "preview", "chat"):
        await page.click(f".editor-tabs [data-show={view}]")
        await assert_fits(page, f"the editor ({view} tab)")
    assert page.errors == []
    await context.close()
