"""Documents, the operation log and the live editing socket."""

from django.apps import AppConfig


class CollaborationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "collaboration"
    verbose_name = "Collaboration"

    def ready(self) -> None:
        from .attachments import hooks  # noqa: F401 - attachments' panels and file cleanup
        from .semantic import hooks as semantic_hooks  # noqa: F401 - search index, panels
