"""The community's demo content joins `manage.py seed` (collaboration.demo.demo_seeded)."""

from collaboration.demo import demo_seeded

from ..demo.seed import seed_community

demo_seeded.connect(seed_community, dispatch_uid="community.demo")
