"""An AMA's queue in real browsers: two people on one live session's page (one of them on
a 375 px phone), one up-votes the lower question, and the other sees it move to the top
without a reload; the page needs no sideways scrolling on the phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from community.services import amas, amas_questions

from .conftest import signed_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_session(make_user):
    host = make_user(username="eve", role=Role.EXPERT)
    ada = make_user(username="ada")
    lin = make_user(username="lin")
    asker = make_user(username="sam")
    start = timezone.now() + timedelta(minutes=5)
    ama = amas.ama_schedule(
        host=host, topic="Attention, live", starts_at=start, ends_at=start + timedelta(hours=1)
    )
    amas.ama_start(ama_id=ama.pk, user=host)
    # The older question has no vote yet; the newer one has one, so it leads.
    low = amas_questions.question_ask(
        ama_id=ama.pk, author=asker, content="Why divide by the square root of d_k?"
    )
    high = amas_questions.question_ask(
        ama_id=ama.pk, author=asker, content="Is multi-head attention slower?"
    )
    amas_questions.question_vote(ama_id=ama.pk, question_id=high.pk, user=host, value=1)
    return ama, ada, lin, low, high


async def open_session(browser, server, user, ama, width=1280):
    context = await browser.new_context(viewport={"width": width, "height": 900})
    page = await signed_in(context, server, user, f"/amas/{ama.pk}/")
    await page.wait_for_function(
        "() => window.learnaiAma && learnaiAma.socket && learnaiAma.socket.status === 'connected'"
    )
    return context, page


async def queue_ids(page) -> list[int]:
    return await page.evaluate(
        """() => [...document.querySelectorAll("[data-ama-queue] > li")]
                .map((li) => Number(li.dataset.questionId))"""
    )


async def test_an_upvote_reorders_the_queue_in_the_other_browser(
    browser, daphne_server, live_session
):
    ama, ada, lin, low, high = live_session
    context_a, page_a = await open_session(browser, daphne_server, ada, ama)
    context_b, page_b = await open_session(browser, daphne_server, lin, ama, width=375)
    assert await queue_ids(page_a) == [high.pk, low.pk]
    assert await queue_ids(page_b) == [high.pk, low.pk]
    await page_b.evaluate("() => { window.notReloaded = true; }")

    # Ada up-votes the lower question: one vote each now, and the older one comes first.
    await page_a.locator(f"#q-{low.pk} button.ama-vote-btn").click()
    await page_a.locator(f'#q-{low.pk} button.ama-vote-btn[aria-pressed="true"]').wait_for()

    await page_b.wait_for_function(
        """(id) => document.querySelector("[data-ama-queue] > li")
                ?.dataset.questionId === String(id)""",
        arg=low.pk,
    )
    assert await queue_ids(page_b) == [low.pk, high.pk]
    assert await page_b.text_content(f"#q-{low.pk} [data-score-text]") == "1"
    assert await page_b.evaluate("() => window.notReloaded === true")  # no reload
    assert await queue_ids(page_a) == [low.pk, high.pk]

    # Lin, on the phone, asks a question: it reaches Ada's queue live, at the bottom.
    await page_b.fill("#id_content", "Does this work on a phone?")
    await page_b.locator("[data-ama-ask] button[type=submit]").click()
    await page_a.locator("[data-ama-queue] > li", has_text="Does this work on a phone?").wait_for()
    assert len(await queue_ids(page_a)) == 3
    # Nothing wider than the phone's screen.
    assert await page_b.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert page_a.errors == [] and page_b.errors == []
    await context_a.close()
    await context_b.close()
