"""Attachments in the live editor, in real browsers: an image pasted into one person's
editor is uploaded, its Markdown link lands in the shared text, and the other person's
preview shows the picture, served to them because they may read the document."""

from __future__ import annotations

import base64
import io

import pytest
from asgiref.sync import sync_to_async
from django.core.files import File
from PIL import Image

from collaboration.attachments import services
from collaboration.attachments.models import Attachment
from collaboration.selectors import document_text

from .conftest import ROOT, signed_in, wait_connected

pytestmark = pytest.mark.django_db(transaction=True)

START = "# Figures\n\nThe attention map:\n"

PASTE_IMAGE = """async ({ data, name }) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const clipboard = new DataTransfer();
    clipboard.items.add(new File([bytes], name, { type: "image/png" }));
    const paste = new ClipboardEvent("paste", {
        clipboardData: clipboard, bubbles: true, cancelable: true,
    });
    document.querySelector(".cm-content").dispatchEvent(paste);
}"""


def png_base64(size=(64, 48)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 90, 200)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def two_editors(make_user, make_document):
    ada = make_user(username="ada")
    lin = make_user(username="lin")
    document = make_document(title="Figures", slug="figures", content=START, owner=ada)
    return ada, lin, document


async def test_an_image_pasted_in_one_editor_shows_in_the_other_persons_preview(
    browser, daphne_server, two_editors
):
    ada, lin, document = two_editors
    path = f"/docs/{document.slug}/edit/"
    contexts = [await browser.new_context(viewport={"width": 1360, "height": 820}) for _ in "ab"]
    page_a = await signed_in(contexts[0], daphne_server, ada, path)
    page_b = await signed_in(contexts[1], daphne_server, lin, path)
    for page in (page_a, page_b):
        await wait_connected(page)

    await page_a.click(".cm-content")
    await page_a.keyboard.press("Control+End")
    await page_a.evaluate(PASTE_IMAGE, {"data": png_base64(), "name": "attention map.png"})

    # The second person's preview shows the picture, loaded from the server.
    image = page_b.locator("#preview img")
    await image.wait_for(timeout=15_000)
    await page_b.wait_for_function(
        "() => { const img = document.querySelector('#preview img');"
        " return img && img.complete && img.naturalWidth === 64; }",
        timeout=15_000,
    )
    attachment = await sync_to_async(Attachment.objects.get)(document_id=document.pk)
    src = await image.get_attribute("src")
    assert src == f"/docs/figures/files/{attachment.pk}/attention-map.png"
    assert await image.get_attribute("alt") == "attention map.png"
    # It went into the shared text as an ordinary edit, as a paragraph of its own.
    _revision, content = await sync_to_async(document_text)(document_id=document.pk)
    assert content == f"{START}\n![attention map.png]({src})"
    status = await page_a.text_content("#attachment-status")
    assert status == "Attached “attention map.png”."
    assert page_a.errors == [] and page_b.errors == []
    await page_b.screenshot(path=str(ROOT / "test-output" / "attachments-editor.png"))
    for context in contexts:
        await context.close()


async def test_the_attachments_panel_fits_a_phone_and_copies_the_link(
    browser, daphne_server, two_editors
):
    ada, _lin, document = two_editors
    await sync_to_async(_attach_figure)(document, ada)
    context = await browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    await context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = await signed_in(context, daphne_server, ada, f"/docs/{document.slug}/")

    panel = page.locator("#attachments")
    await panel.scroll_into_view_if_needed()
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"the document page is {width}px wide at 375px"
    await panel.screenshot(path=str(ROOT / "test-output" / "attachments-panel-phone.png"))
    await panel.get_by_role("button", name="Copy Markdown link").click()
    await page.wait_for_function(
        "() => document.querySelector('[data-copy-target]').textContent === 'Copied'"
    )
    copied = await page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("![loss curve.png](/docs/figures/files/")
    assert page.errors == []
    await context.close()


def _attach_figure(document, user) -> None:
    out = io.BytesIO()
    Image.new("RGB", (900, 500), (200, 60, 40)).save(out, format="PNG")
    out.seek(0)
    services.attachment_upload(
        document=document, user=user, upload=File(out, name="loss curve.png")
    )
