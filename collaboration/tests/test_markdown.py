"""render_markdown() and table_of_contents(): features work and nothing executable gets out."""

from html.parser import HTMLParser

import pytest

from collaboration.markdown import render_document, render_markdown, table_of_contents

FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "style", "svg", "form", "input", "base"}


class _Audit(HTMLParser):
    """Collects what a browser would actually treat as markup in the rendered HTML."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


def _audit(html: str) -> _Audit:
    audit = _Audit()
    audit.feed(html)
    audit.close()
    return audit


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "Hello <script>alert(1)</script> world",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">click</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](  javascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![x](javascript:alert(1))",
        '<div onmouseover="alert(1)">hover</div>',
        '<iframe src="https://evil.example"></iframe>',
        "<svg onload=alert(1)>",
        "<style>body{display:none}</style>",
        "```html\n<script>alert(1)</script>\n```",
        "`<script>alert(1)</script>`",
        "$<script>alert(1)</script>$",
        "$$\n<img src=x onerror=alert(1)>\n$$",
        '[x](https://example.org "a\\" onmouseover=\\"alert(1)")',
        "# <img src=x onerror=alert(1)>",
    ],
)
def test_xss_attempts_are_neutralised(source):
    audit = _audit(render_markdown(source))
    # The text may survive, escaped (&lt;script&gt;), but never as markup or as a live url.
    assert not FORBIDDEN_TAGS & set(audit.tags)
    assert not [name for name, _ in audit.attributes if name.startswith("on")]
    for name, value in audit.attributes:
        if name in ("href", "src"):
            scheme = value.strip().lower().split(":", 1)[0] if ":" in value else ""
            assert scheme in ("", "http", "https", "mailto"), (name, value)


def test_raw_html_is_shown_as_text_not_markup():
    html = render_markdown('<b onclick="x()">bold</b> and <em>em</em>')
    assert "<b" not in html
    assert "&lt;b onclick" in html
    assert "<em>" not in html


def test_links_get_rel_noopener_nofollow_and_keep_title():
    html = render_markdown('[paper](https://arxiv.org/abs/1706.03762 "Attention")')
    assert 'href="https://arxiv.org/abs/1706.03762"' in html
    assert 'title="Attention"' in html
    assert 'rel="noopener nofollow"' in html


def test_relative_links_and_images_are_kept():
    html = render_markdown('[next](/docs/backpropagation/) ![diagram](/static/x.png "Fig. 1")')
    assert 'href="/docs/backpropagation/"' in html
    assert '<img src="/static/x.png" alt="diagram" title="Fig. 1">' in html


def test_tables_render_with_alignment():
    html = render_markdown("| Optimiser | LR |\n|:--|--:|\n| Adam | 3e-4 |\n")
    assert "<table>" in html
    assert "<th" in html and "Optimiser" in html
    assert "<td" in html and "Adam" in html
    assert 'style="text-align:right"' in html.replace(": ", ":")


def test_strikethrough():
    assert "<s>old</s>" in render_markdown("~~old~~ new")


def test_fenced_code_is_highlighted_with_classes_not_inline_styles():
    html = render_markdown("```python\ndef f(x):\n    return x * 2\n```\n")
    assert '<pre class="highlight"><code class="language-python">' in html
    assert '<span class="k">def</span>' in html
    assert "style=" not in html


def test_unknown_language_and_plain_code_are_escaped():
    html = render_markdown("```not-a-language\n<b>x</b>\n```\n\n    <i>indented</i>\n")
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert "&lt;i&gt;indented&lt;/i&gt;" in html
    assert "<b>" not in html


def test_inline_and_block_math_keep_escaped_tex():
    html = render_markdown("The loss $L(\\theta) < 1$ falls.\n\n$$\n\\nabla_\\theta L\n$$\n")
    assert '<span class="math inline">L(\\theta) &lt; 1</span>' in html
    assert '<div class="math block">' in html
    assert "\\nabla_\\theta L" in html


def test_prices_are_not_math():
    assert "math" not in render_markdown("It costs $5 and $10.")


def test_headings_get_ids_and_toc_matches_them():
    text = (
        "# Attention\n\n## Scaled dot-product *attention*\n\n### Why `sqrt(d_k)`?\n\n## Attention\n"
    )
    html = render_markdown(text)
    toc = table_of_contents(text)
    assert [entry["level"] for entry in toc] == [1, 2, 3, 2]
    assert toc[1] == {
        "level": 2,
        "id": "scaled-dot-product-attention",
        "title": "Scaled dot-product attention",
    }
    assert toc[2]["title"] == "Why sqrt(d_k)?"
    # Repeated headings get distinct ids.
    assert toc[0]["id"] != toc[3]["id"]
    for entry in toc:
        assert f'id="{entry["id"]}"' in html


def test_empty_input():
    assert render_markdown("") == ""
    assert table_of_contents("") == []


def test_render_document_returns_html_and_toc():
    html, toc = render_document("## One\n\ntext\n")
    assert '<h2 id="one">One</h2>' in html
    assert toc == [{"level": 2, "id": "one", "title": "One"}]
    # A second call (served from the cache) gives the same answer.
    assert render_document("## One\n\ntext\n") == (html, toc)


def test_sanitiser_is_a_second_line_of_defence():
    # Even if the parser ever let raw HTML through, the sanitiser strips what is not allowed.
    from collaboration.markdown import _cleaner

    cleaned = _cleaner().clean(
        '<p onclick="x()">hi</p><script>alert(1)</script><img src="javascript:x" onerror="y">'
        '<a href="javascript:alert(1)">a</a><h2 id="ok" style="color:red">t</h2>'
    )
    audit = _audit(cleaned)
    assert "script" not in audit.tags
    assert "alert(1)" not in cleaned
    assert ("id", "ok") in audit.attributes
    assert not [name for name, _ in audit.attributes if name.startswith("on") or name == "style"]
    assert "javascript:" not in cleaned
