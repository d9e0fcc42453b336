"""`manage.py seed` leaves a proposal open for review: a learner's branch adding a section,
approved by the demo reviewer, so it can merge; running the seed again adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from contributions.demo import ADDITION, TITLE
from contributions.models import Proposal, ProposalState
from contributions.proposals import merge

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_approved_proposal_ready_to_merge(settings):
    settings.DEBUG = True
    call_command("seed", stdout=StringIO(), stderr=StringIO())
    proposal = Proposal.objects.get(title=TITLE)
    assert proposal.author.username == "lena"
    assert proposal.state == ProposalState.APPROVED
    assert proposal.branch.content.endswith(ADDITION)
    assert ADDITION not in proposal.document.content
    assert merge.merge_status(proposal).mergeable
    call_command("seed", stdout=StringIO(), stderr=StringIO())
    assert Proposal.objects.count() == 1
