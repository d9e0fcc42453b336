"""Comments, Q&A, votes, reputation, badges and moderation (later: study groups, AMAs)."""

from django.apps import AppConfig


class CommunityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        # Hooks into the platform's seams: the post-commit hook (anchors), the document
        # topic's backlog, page panels. Each concern's module registers its own.
        from . import hooks  # noqa: F401
