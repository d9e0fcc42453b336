"""Rights taken away while the editor is open: the page turns read-only at once and says
why, gets them back without a reload, and stops when access goes altogether."""

import pytest
from asgiref.sync import sync_to_async

from collaboration import services
from collaboration.models import DocumentMember, EditPolicy, MemberRole, Visibility

from .conftest import signed_in, wait_connected

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def owner_and_editor(make_user, make_document):
    owner = make_user(username="rights_owner")
    editor = make_user(username="rights_editor")
    document = make_document(
        slug="rights-notes",
        content="# Rights\n\nWho may write here?\n",
        owner=owner,
        visibility=Visibility.RESTRICTED,
        edit_policy=EditPolicy.MEMBERS,
    )
    DocumentMember.objects.create(document=document, user=editor, role=MemberRole.EDITOR)
    return owner, editor, document


async def editable(page) -> str:
    return await page.locator(".cm-content").get_attribute("contenteditable")


async def test_the_editor_turns_read_only_live_and_says_why(
    browser, daphne_server, owner_and_editor
):
    owner, editor, document = owner_and_editor
    context = await browser.new_context(viewport={"width": 375, "height": 740})
    page = await signed_in(context, daphne_server, editor, f"/docs/{document.slug}/edit/")
    await wait_connected(page)
    assert await editable(page) == "true"
    banner = page.locator("#access-banner")
    assert await banner.is_hidden()

    set_role = sync_to_async(services.document_member_set)
    await set_role(document=document, username=editor.username, role="viewer", by=owner)
    await banner.wait_for(state="visible", timeout=5000)
    assert "no longer edit" in await page.locator("#access-message").inner_text()
    await page.wait_for_function(
        "() => document.querySelector('.cm-content').contentEditable === 'false'"
    )
    # Nothing sideways on a phone, even with the banner.
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375

    await set_role(document=document, username=editor.username, role="editor", by=owner)
    await banner.wait_for(state="hidden", timeout=5000)
    await page.wait_for_function(
        "() => document.querySelector('.cm-content').contentEditable === 'true'"
    )

    await sync_to_async(services.document_member_remove)(
        document=document, username=editor.username, by=owner
    )
    await banner.wait_for(state="visible", timeout=5000)
    assert "no longer have access" in await page.locator("#access-message").inner_text()
    assert await editable(page) == "false"
    assert await page.evaluate("() => learnaiEditor.client.status") == "not_found"
    assert page.errors == []
    await context.close()
