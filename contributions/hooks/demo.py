"""The contributions' demo content joins `manage.py seed` (collaboration.demo.demo_seeded)."""

from collaboration.demo import demo_seeded

from ..demo import seed_proposals

demo_seeded.connect(seed_proposals, dispatch_uid="contributions.demo.proposals")
