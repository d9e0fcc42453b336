"""Splitting a document into the sections search links to: the lead, one section per
heading with the id the page gives it, nested headings' paths, and the prose embedded."""

from collaboration.demo.pages import page_text
from collaboration.markdown import render_markdown
from collaboration.semantic.sections import embedding_text, excerpt, plain_text, split_sections

TEXT = """Intro words before any heading.

## Optimisers

Plain text.

### Adam and AdamW

```python
# not a heading: a comment in code
x = 1
```

Adam keeps two moments.

## Optimisers

A second heading with the same title.
"""


def test_lead_and_one_section_per_heading_with_the_pages_ids():
    sections = split_sections(TEXT, title="Training")

    assert [s.anchor for s in sections] == ["", "optimisers", "adam-and-adamw", "optimisers-1"]
    assert [s.title for s in sections] == ["Training", "Optimisers", "Adam and AdamW", "Optimisers"]
    # The ids are the ones the rendered page carries, so #anchor links land on the heading.
    html = render_markdown(TEXT)
    for section in sections[1:]:
        assert f'id="{section.anchor}"' in html


def test_sections_cover_the_text_in_order_with_their_offsets():
    sections = split_sections(TEXT, title="Training")

    assert sections[0].text == "Intro words before any heading.\n\n"
    assert TEXT[sections[2].start :].startswith("### Adam and AdamW")
    assert "# not a heading" in sections[2].text  # a code comment stays in its section
    assert sections[2].path == ("Optimisers",)
    assert sections[2].breadcrumb == "Optimisers > Adam and AdamW"
    assert sections[3].path == ()
    assert sections[3].text.strip() == "A second heading with the same title."


def test_a_document_without_headings_is_one_lead_section():
    assert [(s.anchor, s.title, s.text) for s in split_sections("Just text.", title="T")] == [
        ("", "T", "Just text.")
    ]
    assert [(s.anchor, s.text) for s in split_sections("", title="Empty")] == [("", "")]


def test_what_is_embedded_names_the_place_and_drops_code_and_display_math():
    sections = split_sections(TEXT + "\n$$\nE = mc^2\n$$\n", title="Training")
    text = embedding_text(sections[2], document_title="Training")

    assert text.startswith("Training: Optimisers > Adam and AdamW\n")
    assert "Adam keeps two moments." in text
    assert "x = 1" not in text
    assert "mc^2" not in embedding_text(sections[3], document_title="Training")
    assert embedding_text(sections[0], document_title="Training").startswith("Training\n")


def test_plain_text_and_excerpt_keep_the_words_only():
    assert plain_text("**Bold** and `code` with $d_k$ and snake_case") == (
        "Bold and code with d_k and snake_case"
    )
    long = "word " * 100
    assert excerpt(long, limit=20).endswith(" …")
    assert len(excerpt(long, limit=20)) <= 22


def test_every_demo_page_splits_at_each_of_its_headings():
    text = page_text("attention-and-transformers")
    sections = split_sections(text, title="Attention and Transformers")

    assert len(sections) == text.count("\n## ") + text.count("\n### ") + 1
    assert "why-divide-by-the-square-root-of-d_k" in [s.anchor for s in sections]
