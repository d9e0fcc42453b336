"""Math in a real browser: KaTeX renders `$...$` and `$$...$$` on the document page and in
the editor's preview, from our own static files, under the site's Content-Security-Policy."""

import pytest

from .conftest import new_page, signed_in, wait_connected

pytestmark = pytest.mark.django_db(transaction=True)

CONTENT = """# Energy and sums

Einstein wrote $E = mc^2$ in 1905. A price like $5 and $10 is not math.

$$
\\sum_i x_i
$$

Done.
"""

WATCH = """() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation",
        (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
}"""


def watch(context):
    """Collects console errors and failed requests on every page of context."""
    problems: list[str] = []

    def console(message):
        # The browser's own favicon.ico probe 404s: that is no page's doing.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"console: {message.text} at {message.location}")

    def response(r):
        if r.status >= 400 and not r.url.endswith("/favicon.ico"):
            problems.append(f"HTTP {r.status}: {r.url}")

    context.on("console", console)
    context.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
    context.on("response", response)
    return problems


async def assert_math_rendered(page, container: str) -> None:
    await page.locator(f"{container} .math.inline .katex").first.wait_for()
    await page.locator(f"{container} .math.block .katex-display").first.wait_for()
    result = await page.evaluate(
        """(container) => {
            const root = document.querySelector(container);
            const visible = (el) => el.getClientRects().length > 0;
            // KaTeX keeps the TeX in a hidden <annotation>; only the visible text counts.
            const clone = root.cloneNode(true);
            for (const el of clone.querySelectorAll(".katex-mathml")) el.remove();
            return {
                katex: root.querySelectorAll(".katex").length,
                unrendered: [...root.querySelectorAll(".math")]
                    .filter((el) => !el.querySelector(".katex")).length,
                text: clone.textContent,
                innerText: root.innerText,
                blockVisible: visible(root.querySelector(".math.block .katex-display")),
            };
        }""",
        container,
    )
    assert result["katex"] == 2, result
    assert result["unrendered"] == 0, result
    assert result["blockVisible"], result
    for raw in ("$E = mc^2$", "E = mc^2", "mc^2", "\\sum", "$$", "x_i"):
        assert raw not in result["innerText"], (raw, result["innerText"])
        assert raw not in result["text"], (raw, result["text"])
    # The dollar prices stay plain text.
    assert "$5 and $10" in result["innerText"]
    await page.evaluate("document.fonts.ready")
    assert await page.evaluate(
        "() => [...document.fonts].some(f => f.family.includes('KaTeX_Main')"
        " && f.status === 'loaded')"
    ), "KaTeX's fonts did not load"


async def test_document_page_renders_math_with_katex(browser, daphne_server, make_document):
    document = await _make(make_document, title="Energy", slug="energy-math", content=CONTENT)
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.add_init_script(WATCH.join(["(", ")()"]))
    problems = watch(context)
    page = await new_page(context)
    response = await page.goto(f"{daphne_server.base_url}/docs/{document.slug}/")
    assert "script-src 'self'" in response.headers.get("content-security-policy", "")
    await assert_math_rendered(page, "article .markdown")
    assert await page.evaluate("window.__cspViolations") == []
    assert problems == []
    assert page.errors == []
    await context.close()


async def test_editor_preview_renders_math(browser, daphne_server, make_user, make_document):
    owner = await _user(make_user, username="emmy")
    document = await _make(
        make_document, title="Energy draft", slug="energy-draft", content=CONTENT, owner=owner
    )
    context = await browser.new_context(viewport={"width": 1360, "height": 820})
    await context.add_init_script(WATCH.join(["(", ")()"]))
    problems = watch(context)
    page = await signed_in(context, daphne_server, owner, f"/docs/{document.slug}/edit/")
    await wait_connected(page)
    # Wide enough for the side-by-side layout: the preview shows without its tab.
    await assert_math_rendered(page, "#preview")
    assert await page.evaluate("window.__cspViolations") == []
    assert [p for p in problems if "/ws/" not in p] == []
    assert page.errors == []
    await context.close()


async def _make(make_document, **kwargs):
    from asgiref.sync import sync_to_async

    return await sync_to_async(make_document)(**kwargs)


async def _user(make_user, **kwargs):
    from asgiref.sync import sync_to_async

    return await sync_to_async(make_user)(**kwargs)
