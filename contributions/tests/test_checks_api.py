"""The checks over REST and on pages: bodies, permissions (a document the person may not
read is a 404, a reader who may not edit gets 403), the report page with its score and
weighting, the re-run button, and the document page's panel with "verified" badges."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from collaboration.models import EditPolicy, Visibility
from collaboration.tests.factories import DocumentFactory
from contributions.checks import WEIGHTS
from contributions.models import CheckRun, CheckRunStatus
from contributions.sandbox.result import RunResult
from contributions.tasks import sandbox as sandbox_tasks
from contributions.tasks.checks import rerun_code_blocks

from .factories_checks import CheckRunFactory, FakeSandbox, MarkdownDocumentFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def sandbox(monkeypatch, eager_tasks):
    fake = FakeSandbox(
        default_stdout="hello\n",
        answers={"print(sum([1, 2, 3]))": RunResult(status="ok", stdout="6\n")},
        libraries={"numpy": "1.26.4"},
    )
    monkeypatch.setattr(sandbox_tasks, "run_python", fake)
    return fake


# --- POST /api/checks ----------------------------------------------------------------------


def test_checking_markdown_answers_the_report_and_never_runs_code(auth_client, sandbox):
    markdown = "# Title\n\nWe use pytorch.\n\n```python run\nprint(1)\n```\n"
    response = auth_client.post("/api/checks", {"markdown": markdown}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["weights"] == WEIGHTS
    by_name = {result["name"]: result for result in body["results"]}
    assert list(by_name) == list(WEIGHTS)
    assert by_name["spelling"]["status"] == "warn"
    assert by_name["spelling"]["details"] == [{"line": 3, "message": "“pytorch”: write “PyTorch”."}]
    assert by_name["code_output"]["status"] == "not_run"
    assert "sandbox worker" in by_name["code_output"]["details"][0]["message"]
    assert 0 <= body["score"] <= 100
    assert sandbox.sent == []


def test_links_resolve_among_documents_the_person_may_read(auth_client):
    DocumentFactory(slug="public-guide", content="## Setup\n\nText.\n")
    DocumentFactory(slug="secret-guide", visibility=Visibility.PRIVATE, content="## Setup\n")
    markdown = "See [one](/docs/public-guide/#setup) and [two](/docs/secret-guide/#setup).\n"
    response = auth_client.post("/api/checks", {"markdown": markdown}, format="json")
    links = next(r for r in response.json()["results"] if r["name"] == "links")
    assert links["status"] == "fail"
    assert [d["line"] for d in links["details"]] == [1]
    assert "secret-guide" in links["details"][0]["message"]


def test_checking_markdown_needs_a_sign_in_and_valid_input(api_client, auth_client):
    assert api_client.post("/api/checks", {"markdown": "x"}, format="json").status_code == 401
    response = auth_client.post("/api/checks", {}, format="json")
    assert response.status_code == 400
    assert "markdown" in response.json()["error"]["fields"]
    response = auth_client.post("/api/checks", {"markdown": 5, "document": []}, format="json")
    assert response.status_code == 400


def test_checking_as_a_document_the_person_may_not_read_is_a_404(auth_client):
    private = DocumentFactory(visibility=Visibility.PRIVATE)
    response = auth_client.post(
        "/api/checks", {"markdown": "x", "document": private.slug}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- /api/documents/{ref}/checks ----------------------------------------------------------


def test_an_editor_queues_a_run_and_reads_it_back(sandbox, django_capture_on_commit_callbacks):
    document = MarkdownDocumentFactory()
    client = client_for(document.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/documents/{document.slug}/checks")
    assert response.status_code == 202, response.content
    assert response.json()["revision"] == document.revision
    again = client.post(f"/api/documents/{document.pk}/checks")
    assert again.status_code == 200
    assert again.json()["id"] == response.json()["id"]

    body = APIClient().get(f"/api/documents/{document.slug}/checks").json()
    assert body["latest"]["status"] == "done"
    assert body["latest"]["score"] == 100
    assert body["latest"]["requested_by"] == document.owner.username
    assert body["latest"]["versions"]["libraries"] == {"numpy": "1.26.4"}
    assert [run["id"] for run in body["history"]] == [response.json()["id"]]
    assert [block["verdict"] for block in body["blocks"]] == ["passed", "passed"]
    assert body["blocks"][0]["line"] == 7
    assert body["blocks"][0]["preview"] == "print(sum([1, 2, 3]))"


def test_a_reader_who_may_not_edit_gets_403_and_nothing_is_queued(sandbox):
    document = MarkdownDocumentFactory(edit_policy=EditPolicy.MEMBERS)
    response = client_for(UserFactory()).post(f"/api/documents/{document.slug}/checks")
    assert response.status_code == 403
    assert not CheckRun.objects.exists()
    assert APIClient().post(f"/api/documents/{document.slug}/checks").status_code == 401


def test_a_document_the_person_may_not_read_is_a_404_for_reading_and_queueing():
    document = MarkdownDocumentFactory(visibility=Visibility.PRIVATE)
    CheckRunFactory(document=document)
    stranger = client_for(UserFactory())
    assert stranger.get(f"/api/documents/{document.slug}/checks").status_code == 404
    assert stranger.post(f"/api/documents/{document.slug}/checks").status_code == 404
    assert APIClient().get(f"/api/documents/{document.pk}/checks").status_code == 404
    assert client_for(document.owner).get(f"/api/documents/{document.pk}/checks").status_code == 200


def test_a_document_never_checked_answers_an_empty_history():
    document = DocumentFactory()
    body = APIClient().get(f"/api/documents/{document.slug}/checks").json()
    assert body["latest"] is None and body["history"] == [] and body["blocks"] == []


# --- pages ---------------------------------------------------------------------------------


def _browser(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_report_page_shows_the_score_each_check_and_the_weighting(
    sandbox, django_capture_on_commit_callbacks
):
    document = MarkdownDocumentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = _browser(document.owner).post(f"/docs/{document.slug}/checks/run")
    assert response.status_code == 302
    page = _browser().get(f"/docs/{document.slug}/checks/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="checks-score-value">100<' in html
    assert "Markdown structure" in html and "Runnable code prints its output" in html
    assert "How the score is made" in html
    assert "✓ verified" in html and "numpy 1.26.4" in html
    assert "Run the checks" not in html  # anonymous readers get no button
    assert 'http-equiv="refresh"' not in html  # finished: no refreshing


def test_the_report_page_lists_details_with_line_numbers_and_refreshes_while_running():
    document = DocumentFactory()
    CheckRunFactory(
        document=document,
        status=CheckRunStatus.RUNNING,
        score=None,
        results=[
            {
                "name": "links",
                "title": "Internal links and anchors",
                "status": "fail",
                "summary": "1 of 1 link(s) lead nowhere.",
                "details": [{"line": 4, "message": "#nope is not a heading of this document."}],
            }
        ],
    )
    html = _browser(document.owner).get(f"/docs/{document.slug}/checks/").content.decode()
    assert "line 4" in html and "#nope is not a heading" in html
    assert 'http-equiv="refresh"' in html
    assert "Run the checks" in html


def test_the_report_page_of_an_unreadable_document_is_a_404_and_reruns_need_an_editor():
    private = DocumentFactory(visibility=Visibility.PRIVATE)
    assert _browser(UserFactory()).get(f"/docs/{private.slug}/checks/").status_code == 404
    members_only = DocumentFactory(edit_policy=EditPolicy.MEMBERS)
    reader = UserFactory()
    response = _browser(reader).post(f"/docs/{members_only.slug}/checks/run", follow=True)
    assert "Only the document&#x27;s editors can run its checks." in response.content.decode()
    assert not CheckRun.objects.exists()
    assert _browser().post(f"/docs/{members_only.slug}/checks/run").status_code == 302  # log in


def test_the_document_page_shows_verified_badges_and_regressions(
    sandbox, django_capture_on_commit_callbacks
):
    document = MarkdownDocumentFactory()
    plain = DocumentFactory()
    assert "Quality checks" not in _browser().get(f"/docs/{plain.slug}/").content.decode()
    html = _browser().get(f"/docs/{document.slug}/").content.decode()
    assert "Quality checks" in html and "not run yet" in html
    with django_capture_on_commit_callbacks(execute=True):
        _browser(document.owner).post(f"/docs/{document.slug}/checks/run")
    html = _browser().get(f"/docs/{document.slug}/").content.decode()
    assert html.count("✓ verified") == 2
    assert "Python 3.11.2" in html and "Score <strong>100</strong>/100" in html
    sandbox.answers["print(sum([1, 2, 3]))"] = RunResult(status="error", stderr="ValueError: x")
    rerun_code_blocks.delay()
    html = _browser().get(f"/docs/{document.slug}/").content.decode()
    assert html.count("✓ verified") == 1
    assert "✗ regressed" in html and "ValueError: x" in html
