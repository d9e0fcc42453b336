"""Demo content for `manage.py seed`: the pages (`pages`), their history (`histories`) and
the planner that checks a history against its page (`plan`)."""

from django.dispatch import Signal

# Sent by `manage.py seed` inside its transaction, once the demo users, tags and pages
# exist, so other apps add their own demo content (questions, comments, votes...) to them.
# Arguments: users (username -> User), documents (slug -> Document, every demo page that
# exists), now (the seed's clock). Receivers must be idempotent: the seed may run again.
demo_seeded = Signal()
