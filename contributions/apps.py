"""Change proposals, reviews, scoring and Git history."""

from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contributions"
    verbose_name = "Contributions"

    def ready(self) -> None:
        from . import hooks  # noqa: F401 - registers with the platform's seams
