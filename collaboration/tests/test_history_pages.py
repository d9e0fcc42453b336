"""History pages: the revision list, a revision, diffs, restore and authorship."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from collaboration import services
from collaboration.models import Document, EditPolicy, MemberRole, Operation, Visibility
from collaboration.tests.factories import DocumentMemberFactory, commit_edit

pytestmark = pytest.mark.django_db


V0 = "# Notes\n\nfirst line\nsecond line\n"


@pytest.fixture
def owner():
    return UserFactory(username="olga", full_name="Olga Owner")


@pytest.fixture
def writer():
    return UserFactory(username="walt", full_name="Walt Writer")


@pytest.fixture
def doc(owner, writer):
    """Revision 0: V0 by Olga; 1: Walt appends a line; 2: Olga deletes "first line\\n"."""
    document = services.document_create(owner=owner, title="Notes on history", content=V0)
    commit_edit(document, writer, [len(V0), "third line by walt\n"])
    start = V0.index("first line")
    length = len(document.content)
    removed = len("first line\n")
    commit_edit(document, owner, [start, -removed, length - start - removed])
    return document


def url(name, document, **kwargs):
    return reverse(f"collaboration:{name}", kwargs={"slug": document.slug, **kwargs})


def test_document_page_links_to_history(client, doc):
    response = client.get(doc.get_absolute_url())
    assert url("history", doc) in response.content.decode()


def test_history_lists_revisions_newest_first_with_authors(client, doc):
    response = client.get(url("history", doc))
    assert response.status_code == 200
    html = response.content.decode()
    positions = [html.index(f"Revision {n}<") for n in (2, 1, 0)]
    assert positions == sorted(positions)
    assert "Walt Writer" in html and "Olga Owner" in html
    assert "+19" in html  # "third line by walt\n"
    assert "\u221211" in html  # minus sign: "first line\n" removed
    assert f"{url('diff', doc)}?from=1&amp;to=2" in html
    assert url("revision", doc, revision=1) in html
    assert 'name="from"' in html and 'name="to"' in html


def test_history_paginates(client, owner, doc, settings):
    from collaboration import views_history

    views_history_per_page = views_history.REVISIONS_PER_PAGE
    views_history.REVISIONS_PER_PAGE = 1
    try:
        first = client.get(url("history", doc)).content.decode()
        last = client.get(url("history", doc) + "?page=99").content.decode()
    finally:
        views_history.REVISIONS_PER_PAGE = views_history_per_page
    assert "Revision 2<" in first and "Revision 0<" not in first and "Older" in first
    assert "Revision 1<" in last and "Revision 0<" in last


def test_revision_page_shows_old_text_and_raw_toggle(client, doc):
    response = client.get(url("revision", doc, revision=0))
    assert response.status_code == 200
    html = response.content.decode()
    assert "first line" in html
    assert "third line by walt" not in html
    assert "<details" in html and ">Notes</h1>" in html and "<p>first line" in html
    assert "Restore this revision" not in html  # anonymous


def test_revision_out_of_range_is_a_friendly_404(client, doc):
    response = client.get(url("revision", doc, revision=99))
    assert response.status_code == 404
    assert "Revision 99 does not exist. This document has revisions 0 to 2." in (
        response.content.decode()
    )


def test_revision_page_offers_restore_only_to_editors(client, doc, owner):
    viewer = UserFactory()
    doc.visibility = Visibility.RESTRICTED
    doc.edit_policy = EditPolicy.MEMBERS
    doc.save()
    DocumentMemberFactory(document=doc, user=viewer, role=MemberRole.VIEWER)
    client.force_login(viewer)
    assert (
        "Restore this revision" not in client.get(url("revision", doc, revision=0)).content.decode()
    )
    client.force_login(owner)
    html = client.get(url("revision", doc, revision=0)).content.decode()
    assert "Restore this revision" in html and "csrfmiddlewaretoken" in html
    # The current revision has nothing to restore.
    assert (
        "Restore this revision" not in client.get(url("revision", doc, revision=2)).content.decode()
    )


def test_diff_shows_inserted_and_deleted_lines(client, doc):
    response = client.get(url("diff", doc), {"from": 0, "to": 2})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="diff-line diff-insert"' in html
    assert 'class="diff-line diff-delete"' in html
    insert = html.index("third line by walt")
    delete = html.index("first line")
    assert "diff-insert" in html[html.rindex("<div", 0, insert) : insert]
    assert "diff-delete" in html[html.rindex("<div", 0, delete) : delete]
    assert "1 line added" in html and "1 line removed" in html


def test_diff_defaults_to_latest_change(client, doc):
    response = client.get(url("diff", doc))
    assert response.status_code == 200
    assert "Changes from revision 1 to 2" in response.content.decode()


def test_diff_folds_long_unchanged_runs(client, owner):
    text = "".join(f"line {n}\n" for n in range(30))
    document = services.document_create(owner=owner, title="Long", content=text)
    commit_edit(document, owner, [len(text), "the end\n"])
    html = client.get(url("diff", document), {"from": 0, "to": 1}).content.decode()
    assert "27 unchanged lines" in html
    assert "line 29" in html


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"from": "abc", "to": "1"}, 400, "“abc” is not a revision number"),
        ({"from": "0", "to": "1.5"}, 400, "“1.5” is not a revision number"),
        ({"from": "0", "to": "99"}, 404, "Revision 99 does not exist"),
        ({"from": "-1", "to": "1"}, 404, "Revision -1 does not exist"),
    ],
)
def test_diff_bad_params_give_a_friendly_page(client, doc, params, status, message):
    response = client.get(url("diff", doc), params)
    assert response.status_code == status
    html = response.content.decode()
    assert message in html
    assert "This document has revisions 0 to 2." in html
    assert 'name="from"' in html  # the form is there to try again


def test_pruned_revision_gives_a_friendly_410(client, owner):
    document = services.document_create(owner=owner, title="Pruned", content="a\n")
    for n in range(3):
        commit_edit(document, owner, [len(document.content), f"{n}\n"])
    Operation.objects.filter(document=document, revision=1).delete()
    document.snapshots.all().delete()
    response = client.get(url("revision", document, revision=1))
    assert response.status_code == 410
    assert "can no longer be shown" in response.content.decode()
    response = client.get(url("diff", document), {"from": 0, "to": 3})
    assert response.status_code == 410


def test_restore_by_owner_adds_a_revision_with_the_old_text(client, doc, owner):
    client.force_login(owner)
    response = client.post(url("restore", doc, revision=0), follow=True)
    assert response.redirect_chain[-1][0] == doc.get_absolute_url()
    doc.refresh_from_db()
    assert doc.revision == 3
    assert doc.content == V0
    restored = Operation.objects.get(document=doc, revision=3)
    assert restored.source == "restore" and restored.user == owner
    assert "Restored the text of revision 0" in response.content.decode()


def test_restore_of_unknown_revision_explains(client, doc, owner):
    client.force_login(owner)
    response = client.post(url("restore", doc, revision=42), follow=True)
    assert "Revision 42 does not exist" in response.content.decode()
    doc.refresh_from_db()
    assert doc.revision == 2


def test_restore_needs_post(client, doc, owner):
    client.force_login(owner)
    assert client.get(url("restore", doc, revision=0)).status_code == 405


def test_restore_refused_for_viewer_and_anonymous(client, doc):
    response = client.post(url("restore", doc, revision=0))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]

    viewer = UserFactory()
    doc.edit_policy = EditPolicy.MEMBERS
    doc.save()
    DocumentMemberFactory(document=doc, user=viewer, role=MemberRole.VIEWER)
    client.force_login(viewer)
    response = client.post(url("restore", doc, revision=0))
    assert response.status_code == 403
    assert "cannot restore" in response.content.decode()
    doc.refresh_from_db()
    assert doc.revision == 2


def test_authorship_shows_each_author(client, doc):
    response = client.get(url("authorship", doc))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Olga Owner" in html and "Walt Writer" in html
    assert 'title="Walt Writer">third line by walt' in html
    assert "%" in html


def test_private_document_is_a_404_for_others_on_every_page(client, owner):
    private = services.document_create(
        owner=owner, title="Secret", content="hidden\n", visibility=Visibility.PRIVATE
    )
    commit_edit(private, owner, [len("hidden\n"), "more\n"])
    pages = [
        ("get", url("history", private)),
        ("get", url("revision", private, revision=0)),
        ("get", url("diff", private) + "?from=0&to=1"),
        ("get", url("authorship", private)),
    ]
    for method, address in pages:
        assert getattr(client, method)(address).status_code == 404, address
    client.force_login(UserFactory())
    for method, address in [*pages, ("post", url("restore", private, revision=0))]:
        assert getattr(client, method)(address).status_code == 404, address
    assert Document.objects.get(pk=private.pk).revision == 1
    client.force_login(owner)
    for _method, address in pages:
        assert client.get(address).status_code == 200, address
