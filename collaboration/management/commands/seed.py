"""`manage.py seed [--if-empty] [--force]`: demo users (one per role), tags, and AI pages
with a history.

Each page is created through the documents service and then edited by several demo users
through the real commit path, with restores and chat, as scripted in
`collaboration.demo.histories`, so history, diffs and "who wrote what" have something true
to show. The edits are credited to the demo users and marked as coming from the site
itself (EditSource.SYSTEM); their times are then spread over the past days.

The demo accounts have fixed, published passwords, so the command refuses to run while
DEBUG is off unless --force is given. Running it twice is harmless: rows are looked up by
username and slug, and existing documents are never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.roles import Role
from accounts.services import user_set_role
from collaboration import services
from collaboration.demo import demo_seeded
from collaboration.demo.histories import HISTORIES
from collaboration.demo.pages import DEMO_DOCUMENTS, DemoDocument
from collaboration.demo.plan import PlannedChat, plan
from collaboration.demo.users import DEMO_USERS
from collaboration.models import (
    ChatMessage,
    Document,
    DocumentMember,
    EditSource,
    MemberRole,
    Operation,
    Snapshot,
    Tag,
)
from collaboration.search import refresh_search_index
from collaboration.selectors import document_text

if TYPE_CHECKING:
    from accounts.models import User

__all__ = ["DEMO_DOCUMENTS", "DEMO_USERS", "Command", "demo_password"]

DEMO_EMAIL_DOMAIN = "learnai.example"  # .example is reserved: these addresses never deliver
# The demo accounts "joined" this long before the seed ran, before any page was written.
DEMO_USERS_JOINED = timedelta(days=30)


def demo_password(role: str) -> str:
    return f"learnai-demo-{role}"


TAGS = {
    "deep-learning": ("Deep learning", "Neural networks with many layers, and how to train them."),
    "transformers": ("Transformers", "The attention-based architecture behind modern LLMs."),
    "attention": ("Attention", "Mechanisms that let a model weigh parts of its input."),
    "optimization": ("Optimization", "Gradient descent, its variants and learning-rate schedules."),
    "computer-vision": (
        "Computer vision",
        "Models that see: convolution, detection, segmentation.",
    ),
    "nlp": ("NLP", "Natural language processing: tokens, embeddings, language models."),
    "reinforcement-learning": (
        "Reinforcement learning",
        "Agents that learn from rewards: MDPs, value functions, policies.",
    ),
    "probability": ("Probability", "The probability and statistics machine learning rests on."),
    "regularization": ("Regularization", "Ways to make models generalise instead of memorise."),
}


def _set_role(user, role: str) -> None:
    """Give the user a role through the accounts service (groups, staff status)."""
    user_set_role(user=user, role=role, by=None)
    user.refresh_from_db()
    # Whatever the service does with groups, the demo needs these flags.
    user.role = role
    user.is_staff = role in (Role.MODERATOR, Role.ADMIN)
    user.is_superuser = role == Role.ADMIN
    user.save(update_fields=["role", "is_staff", "is_superuser"])


@dataclass
class _Seeded:
    """What seeding one page wrote, and when each part is meant to have happened."""

    document: Document
    created_at: datetime
    revision_times: dict[int, datetime]
    chat_times: dict[int, datetime]  # by ChatMessage id


def _document_seed(*, spec: DemoDocument, users: dict[str, User], now: datetime) -> _Seeded:
    """Creates the page at its first text, then commits its scripted history in order.

    Every revision goes through the edit or restore service with the demo user as the
    actor, so their right to edit is checked as anyone's would be; after each one the
    stored text must be exactly the planned one.
    """
    script = plan(final=spec.content, timeline=HISTORIES[spec.slug])
    owner = users[spec.owner]
    document = services.document_create(
        owner=owner,
        title=spec.title,
        content=script.initial,
        tags=spec.tags,
        visibility=spec.visibility,
    )
    if document.slug != spec.slug:
        raise CommandError(f"{spec.title!r} got the slug {document.slug!r}, not {spec.slug!r}")
    for username in spec.members:
        services.document_member_set(
            document=document, username=username, role=MemberRole.EDITOR, by=owner
        )

    seeded = _Seeded(document, now - script.created, {}, {})
    for step in script.steps:
        if isinstance(step, PlannedChat):
            kind = ChatMessage.MessageType.CODE if step.code else ChatMessage.MessageType.TEXT
            message = services.chat_message_create(
                document=document, user=users[step.by], message=step.message, message_type=kind
            )
            seeded.chat_times[message.pk] = now - step.at
            continue
        if step.restores is not None:
            result = services.document_restore(
                document_id=document.pk, user=users[step.by], revision=step.restores
            )
        else:
            result = services.document_apply_operation(
                document_id=document.pk,
                user=users[step.by],
                base_revision=step.revision - 1,
                client_op_id=f"demo-{step.revision}",
                ops=step.ops,
                source=EditSource.SYSTEM,
            )
        if result.error is not None:
            raise CommandError(f"{spec.slug} revision {step.revision}: {result.error.message}")
        _revision, stored = document_text(document_id=document.pk)
        if not result.committed or result.revision != step.revision or stored != step.text:
            raise CommandError(f"{spec.slug} revision {step.revision} is not the planned text")
        seeded.revision_times[step.revision] = now - step.at
    return seeded


def _backdate(seeded: _Seeded) -> None:
    """Moves the page's creation, revisions and chat to the times its script gives them.

    The commit path stamps everything "now"; the history reads truer spread over the past
    days. Revision order and time order stay the same (the script checks its times).
    """
    document = seeded.document
    operations = list(Operation.objects.filter(document=document).only("pk", "revision"))
    for operation in operations:
        operation.created_at = seeded.revision_times[operation.revision]
    Operation.objects.bulk_update(operations, ["created_at"])
    messages = list(ChatMessage.objects.filter(pk__in=seeded.chat_times).only("pk"))
    for message in messages:
        message.created_at = seeded.chat_times[message.pk]
    ChatMessage.objects.bulk_update(messages, ["created_at"])
    last_edit = max(seeded.revision_times.values(), default=seeded.created_at)
    # update(), not save(): auto_now would stamp updated_at "now" again.
    Document.objects.filter(pk=document.pk).update(
        created_at=seeded.created_at,
        updated_at=last_edit,
        last_edited_at=last_edit if seeded.revision_times else None,
    )
    Snapshot.objects.filter(document=document, revision=0).update(created_at=seeded.created_at)
    DocumentMember.objects.filter(document=document).update(added_at=seeded.created_at)


class Command(BaseCommand):
    help = (
        "Create demo users (one per role, with published passwords), tags and AI "
        "documentation pages with an edit history and chat. Refuses to run with DEBUG off "
        "unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has any user.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though DEBUG is off. The demo passwords are public: "
            "never use this on a site others can reach.",
        )

    def handle(self, *args, if_empty: bool = False, force: bool = False, **options):
        User = get_user_model()
        if if_empty and User.objects.exists():
            self.stdout.write(
                "The database already has users, so nothing was seeded (--if-empty). "
                "Run `python manage.py seed` to add any missing demo content and list "
                "the demo logins."
            )
            return
        if not settings.DEBUG and not force:
            self.stderr.write(
                self.style.WARNING(
                    "Not seeding: DEBUG is off, and the demo accounts have published "
                    "passwords. If this is a throwaway environment, run again with --force."
                )
            )
            return

        now = timezone.now()
        with transaction.atomic():
            users, created_users = self._seed_users(User, now=now)
            tags = self._seed_tags()
            seeded = self._seed_documents(users=users, now=now)
            demo_seeded.send(
                sender=self.__class__,
                users=users,
                documents={
                    doc.slug: doc
                    for doc in Document.objects.filter(slug__in=[d.slug for d in DEMO_DOCUMENTS])
                },
                now=now,
            )
        refresh_search_index()  # index the new pages now rather than at the first search

        revisions = sum(len(s.revision_times) for s in seeded)
        chat = sum(len(s.chat_times) for s in seeded)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {created_users} new user(s), {len(tags)} tags and "
                f"{len(seeded)} new document(s), with {revisions} revisions and "
                f"{chat} chat messages between them."
            )
        )
        self._print_logins(users=users, created=created_users)

    def _seed_users(self, User, *, now: datetime):
        users = {}
        created_count = 0
        for spec in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=spec.username,
                defaults={
                    "email": f"{spec.username}@{DEMO_EMAIL_DOMAIN}",
                    "full_name": spec.full_name,
                    "expertise_areas": list(spec.expertise),
                    "bio": spec.bio,
                },
            )
            if created:
                user.set_password(demo_password(spec.role))
                user.date_joined = now - DEMO_USERS_JOINED
                user.save(update_fields=["password", "date_joined"])
                _set_role(user, spec.role)
                created_count += 1
            users[spec.username] = user
        return users, created_count

    def _seed_tags(self) -> dict[str, Tag]:
        tags = {}
        for slug, (name, description) in TAGS.items():
            tags[slug], _ = Tag.objects.get_or_create(
                slug=slug, defaults={"name": name, "description": description}
            )
        return tags

    def _seed_documents(self, *, users, now: datetime) -> list[_Seeded]:
        seeded = []
        for spec in DEMO_DOCUMENTS:
            if Document.objects.filter(slug=spec.slug).exists():
                continue  # never overwrite a page people may have edited since
            seeded.append(_document_seed(spec=spec, users=users, now=now))
        for page in seeded:
            _backdate(page)
        return seeded

    def _print_logins(self, *, users, created: int) -> None:
        width = max(len("username"), *(len(spec.username) for spec in DEMO_USERS))
        lines = [
            "",
            "Demo logins (for local development only; these passwords are public):",
            "",
            f"  {'role':<12} {'username':<{width}}  password",
        ]
        for spec in DEMO_USERS:
            lines.append(f"  {spec.role:<12} {spec.username:<{width}}  {demo_password(spec.role)}")
        lines += [
            "",
            f"Log in at /accounts/login/ with the username or <username>@{DEMO_EMAIL_DOMAIN}.",
            "admin is a superuser and mo (moderator) is staff: both can open /admin/.",
        ]
        if created < len(DEMO_USERS):
            lines.append(
                "Accounts that already existed kept their passwords; the list shows the "
                "passwords they were created with."
            )
        lines.append("")
        self.stdout.write("\n".join(lines))
