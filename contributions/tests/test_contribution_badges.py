"""Contribution credit: a merge grows its writers' reputation and earns "First merge" (and
"Co-author" for the people credited beside the author); ten reviewed proposals earn
"Reviewer". The badges are shown on profiles and in the API like the community's."""

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from community import badges as community_badges
from community.models import BadgeAward, BadgeLevel
from community.services.badges import award_deserved
from contributions.badges import CONTRIBUTION_BADGES, REVIEWED_PROPOSALS
from contributions.proposals import lifecycle, merge, reviews
from contributions.tests import factories_proposals
from contributions.tests.factories_git import git_root  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

TEXT = "# Attention\n\n## Softmax\n\nScores become weights.\n"


@pytest.fixture(autouse=True)
def _repositories_in_tmp(git_root):  # noqa: F811 - the imported fixture
    """Merges commit to the document's Git repository: keep them out of the project."""


def make_document():
    return factories_proposals.make_document(content=TEXT)


def propose(document, author, added: str = "A new line.\n", **kwargs):
    return lifecycle.proposal_create(
        document=document,
        user=author,
        title="Explain softmax",
        content=document.content + added,
        **kwargs,
    )


def merge_approved(proposal, reviewer=None):
    reviewer = reviewer or factories_proposals.reviewer()
    reviews.review_submit(proposal=proposal, user=reviewer, verdict="approve")
    return merge.proposal_merge(proposal=proposal, user=reviewer)


def badge_slugs(user) -> set[str]:
    return set(BadgeAward.objects.filter(user=user).values_list("badge", flat=True))


def test_a_merge_grows_the_authors_reputation_and_earns_first_merge(
    eager_tasks, django_capture_on_commit_callbacks
):
    author = UserFactory()
    proposal = propose(make_document(), author)
    before = author.reputation

    with django_capture_on_commit_callbacks(execute=True):
        merge_approved(proposal)

    author.refresh_from_db()
    assert author.reputation == before + settings.REPUTATION_PROPOSAL_MERGED
    assert "first-contribution" in badge_slugs(author)
    assert "co-author" not in badge_slugs(author)


def test_people_credited_on_a_merge_earn_co_author_and_its_reputation(
    eager_tasks, django_capture_on_commit_callbacks
):
    author, helper = UserFactory(), UserFactory()
    proposal = propose(make_document(), author, credited=[helper])
    before = helper.reputation

    with django_capture_on_commit_callbacks(execute=True):
        merge_approved(proposal)

    helper.refresh_from_db()
    assert helper.reputation == before + settings.REPUTATION_PROPOSAL_CO_AUTHOR
    assert badge_slugs(helper) == {"co-author"}


def test_an_open_or_closed_proposal_earns_no_merge_badge():
    author = UserFactory()
    document = make_document()
    propose(document, author)
    closed = propose(document, author)
    lifecycle.proposal_close(proposal=closed, user=author)

    award_deserved(user_id=author.pk)

    assert "first-contribution" not in badge_slugs(author)


def test_ten_reviewed_proposals_earn_the_reviewer_badge(
    eager_tasks, django_capture_on_commit_callbacks
):
    reviewer = UserFactory()
    document = make_document()
    proposals = [propose(document, UserFactory()) for _ in range(REVIEWED_PROPOSALS)]
    with django_capture_on_commit_callbacks(execute=True):
        for proposal in proposals[:-1]:
            reviews.review_submit(proposal=proposal, user=reviewer, verdict="comment", body="Nice.")
    assert "reviewer" not in badge_slugs(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        reviews.review_submit(proposal=proposals[-1], user=reviewer, verdict="approve")

    assert "reviewer" in badge_slugs(reviewer)


def test_many_reviews_of_one_proposal_count_once():
    reviewer = UserFactory()
    proposal = propose(make_document(), UserFactory())
    for number in range(REVIEWED_PROPOSALS + 2):
        reviews.review_submit(
            proposal=proposal, user=reviewer, verdict="comment", body=f"Thought {number}."
        )

    award_deserved(user_id=reviewer.pk)

    assert "reviewer" not in badge_slugs(reviewer)


def test_contribution_badges_show_on_profiles_with_their_description(client):
    person = UserFactory()
    BadgeAward.objects.create(user=person, badge="first-contribution", level=BadgeLevel.BRONZE)
    BadgeAward.objects.create(user=person, badge="reviewer", level=BadgeLevel.SILVER)

    html = client.get(reverse("accounts:profile", args=[person.username])).content.decode()

    assert "First merge" in html
    assert "Had a first proposed change merged into a document." in html
    assert "Reviewer" in html
    assert f"Reviewed {REVIEWED_PROPOSALS} proposed changes by other people." in html


def test_the_badges_api_names_and_describes_contribution_badges():
    person = UserFactory()
    BadgeAward.objects.create(user=person, badge="co-author", level=BadgeLevel.BRONZE)

    body = APIClient().get(f"/api/users/{person.username}/badges").json()

    (award,) = body["results"]
    assert award["name"] == "Co-author"
    assert award["description"].startswith("Was credited on a merged proposal")


def test_every_contribution_badge_is_registered_once():
    slugs = [badge.slug for badge in community_badges.BADGES]
    for badge in CONTRIBUTION_BADGES:
        assert slugs.count(badge.slug) == 1
        assert community_badges.BY_SLUG[badge.slug] is badge


def test_registering_again_changes_nothing_and_a_taken_slug_is_refused():
    before = list(community_badges.BADGES)
    community_badges.register(CONTRIBUTION_BADGES[0])
    assert before == community_badges.BADGES

    impostor = community_badges.Badge(
        "reviewer", "Impostor", BadgeLevel.GOLD, "Something else.", lambda user_id: [0]
    )
    with pytest.raises(ValueError, match="already registered"):
        community_badges.register(impostor)
    assert community_badges.BY_SLUG["reviewer"].name == "Reviewer"
