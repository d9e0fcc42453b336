"""AMA tasks: the beat's clock for sessions."""

from celery import shared_task
from django.db import OperationalError

from ..services import amas


@shared_task(
    name="community.advance_amas",
    serializer="json",
    ignore_result=True,
    # A lost database connection is worth another try; both steps are idempotent.
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def advance_amas() -> dict[str, int]:
    """Sends "starting soon" where due, then moves sessions whose start or end has come
    (scheduled → live → ended). Running it twice, or beside the host, changes nothing more."""
    return {"reminded": amas.amas_remind_due(), "moved": amas.amas_advance_due()}
