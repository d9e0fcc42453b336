"""Search, history and document pages in a real browser: finding a document by a word of
its body, no sideways scrolling on a phone for the search, history, diff and authorship
pages, and the document page naming who is on the live editor."""

import pytest

from collaboration import services
from collaboration.tests.factories import commit_edit

from .conftest import new_page, signed_in, wait_connected

pytestmark = pytest.mark.django_db(transaction=True)

BODY_WORD = "quokkafication"
LONG_LINE = "A_very_long_unbroken_identifier_" * 8


@pytest.fixture
def searchable(make_user):
    owner = make_user(username="sofia", full_name="Sofia Searcher")
    found = services.document_create(
        owner=owner,
        title="Marsupial embeddings",
        content=f"# Intro\n\nThe {BODY_WORD} of small vectors keeps them cheerful.\n",
    )
    decoy = services.document_create(
        owner=owner, title="Unrelated gradients", content="# Intro\n\nNothing to see here.\n"
    )
    return found, decoy


async def test_nav_search_finds_a_document_by_a_word_in_its_body(
    browser, daphne_server, searchable
):
    found, decoy = searchable
    assert BODY_WORD not in found.title.lower()
    context = await browser.new_context(viewport={"width": 1360, "height": 820})
    page = await new_page(context)
    await page.goto(f"{daphne_server.base_url}/")
    box = page.locator("form.nav-search input[name=q]")
    await box.fill(BODY_WORD)
    await box.press("Enter")
    await page.wait_for_url("**/search/?q=*")

    results = page.locator("ol.search-results")
    await results.locator("a.doc-title", has_text=found.title).wait_for()
    assert await results.locator("a.doc-title", has_text=decoy.title).count() == 0
    mark = results.locator(".search-snippet mark").first
    assert (await mark.text_content()).lower() == BODY_WORD
    assert BODY_WORD in (await page.locator("h2", has_text="result").text_content())
    assert page.errors == []
    await context.close()


@pytest.fixture
def document_with_history(make_user):
    """A document with long unbroken lines, edited by two people: three revisions."""
    owner = make_user(username="hana", full_name="Hana Historian")
    writer = make_user(username="wes", full_name="Wes Writer")
    v0 = f"# Phone history\n\n{LONG_LINE}\n\n```\n{LONG_LINE}\n```\n"
    document = services.document_create(owner=owner, title="Phone history", content=v0)
    commit_edit(document, writer, [len(v0), f"\nAdded by wes: {LONG_LINE}\n"])
    length = len(document.content)
    commit_edit(document, owner, [f"{LONG_LINE} {BODY_WORD}\n\n", length])
    return owner, document


async def test_phone_width_search_and_history_pages_do_not_scroll_sideways(
    browser, daphne_server, document_with_history
):
    user, document = document_with_history
    assert document.revision == 2
    context = await browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    base = daphne_server.base_url

    async def assert_fits(page, what):
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, f"{what} is {width}px wide at 375px"

    page = await signed_in(context, daphne_server, user, f"/search/?q={BODY_WORD}")
    await page.locator("ol.search-results a.doc-title", has_text=document.title).wait_for()
    await assert_fits(page, "the search results page")

    slug = document.slug
    checks = [
        (f"/docs/{slug}/history/", "the history page"),
        (f"/docs/{slug}/diff/?from=0&to=2", "the diff page"),
        (f"/docs/{slug}/authorship/", "the authorship page"),
    ]
    for path, what in checks:
        response = await page.goto(f"{base}{path}")
        assert response.status == 200, f"{what}: HTTP {response.status}"
        await assert_fits(page, what)
    assert page.errors == []
    await context.close()


@pytest.fixture
def presence_document(make_user, make_document):
    editor = make_user(username="petra")
    document = make_document(title="Presence page", slug="presence-page", owner=editor)
    return editor, document


async def test_document_page_names_who_is_on_the_live_editor(
    browser, daphne_server, presence_document
):
    editor, document = presence_document
    reader_context = await browser.new_context()
    reader = await new_page(reader_context)
    await reader.goto(f"{daphne_server.base_url}/docs/{document.slug}/")
    assert await reader.locator("#editing-now").count() == 0

    editor_context = await browser.new_context()
    page = await signed_in(editor_context, daphne_server, editor, f"/docs/{document.slug}/edit/")
    await wait_connected(page)
    await reader.reload()
    await reader.locator("#editing-now", has_text="petra").wait_for()
    assert "Editing now:" in await reader.text_content("#editing-now")
    await editor_context.close()
    assert reader.errors == []
    await reader_context.close()
