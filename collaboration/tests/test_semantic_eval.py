"""`manage.py search_eval` on the seeded demo content: it prints recall@5 and MRR per
mode, and hybrid search does at least as well as keyword search on both."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from collaboration.demo.pages import DEMO_DOCUMENTS
from collaboration.semantic.eval_queries import EVAL_QUERIES
from collaboration.semantic.sections import split_sections

pytestmark = pytest.mark.django_db

ROW = re.compile(r"^(keyword|semantic|hybrid)\s+([0-9.]+)\s+([0-9.]+)$", re.MULTILINE)


def test_every_query_names_sections_that_exist_on_public_demo_pages():
    anchors = {
        f"{page.slug}#{section.anchor}"
        for page in DEMO_DOCUMENTS
        if page.visibility == "public"
        for section in split_sections(page.content, title=page.title)
    }
    assert len(EVAL_QUERIES) >= 40
    for item in EVAL_QUERIES:
        sections = [t for t in item.relevant if not t.startswith("question:")]
        assert set(sections) <= anchors, item.query


def test_hybrid_beats_keyword_on_the_seeded_site(settings):
    settings.DEBUG = True  # the seed's published demo passwords need it
    call_command("seed", stdout=StringIO(), stderr=StringIO())
    out = StringIO()

    call_command("search_eval", stdout=out)

    scores = {
        mode: (float(recall), float(mrr)) for mode, recall, mrr in ROW.findall(out.getvalue())
    }
    assert set(scores) == {"keyword", "semantic", "hybrid"}
    assert f"{len(EVAL_QUERIES)} queries" in out.getvalue()
    assert scores["hybrid"][0] >= scores["keyword"][0]  # recall@5
    assert scores["hybrid"][1] >= scores["keyword"][1]  # MRR
    assert scores["hybrid"][0] > 0.5


def test_without_the_demo_content_it_says_what_to_do():
    with pytest.raises(CommandError, match=r"manage\.py seed"):
        call_command("search_eval", stdout=StringIO())
