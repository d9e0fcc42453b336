"""Documents, their members, the operation log, snapshots, sessions, chat and rooms."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse

from . import checkpoints


class Tag(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public: anyone can read"
    PRIVATE = "private", "Private: only the owner"
    RESTRICTED = "restricted", "Restricted: the owner and listed members"


class EditPolicy(models.TextChoices):
    OPEN = "open", "Open: any signed-in reader can edit live"
    MEMBERS = "members", "Members: the owner and editors edit live, others propose changes"


class Document(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    # The text at `content_revision`, not always at `revision`: large documents are not
    # rewritten on every commit (collaboration/checkpoints.py). Read `content`.
    content_checkpoint = models.TextField(blank=True, db_column="content", verbose_name="text")
    content_revision = models.PositiveIntegerField(
        default=0, help_text="The revision whose text the stored checkpoint holds."
    )
    revision = models.PositiveIntegerField(default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_documents"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="documents")
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    edit_policy = models.CharField(
        max_length=16, choices=EditPolicy.choices, default=EditPolicy.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_edited_at = models.DateTimeField(null=True, blank=True)
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Bumped by every change to who may read or edit (members, visibility, edit policy):
    # the commit path compares it with the version a socket's right was decided on.
    access_version = models.PositiveIntegerField(default=0, editable=False)
    # A branch is a document of its own (same editor, same socket) made from another one
    # for a proposed change: readable by its owner and members, and once shared (the
    # proposal is open for review) by everyone who may read the document it came from.
    # Branches are never listed, searched or recommended as documents.
    branch_of = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="branches",
        help_text="The document this one is a proposal branch of.",
    )
    branch_shared = models.BooleanField(
        default=False, help_text="Readers of the original document may read this branch."
    )

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["visibility", "-updated_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("collaboration:document", kwargs={"slug": self.slug})

    @property
    def content(self) -> str:
        """The text at `revision`: the checkpoint plus the operations after it.

        Costs one query of at most a few hundred small rows when the checkpoint lags
        (large documents only, see collaboration/checkpoints.py); remembered for this
        instance until its revision changes.
        """
        if self.content_revision >= self.revision:
            return self.content_checkpoint
        key = (self.revision, self.content_revision)
        cached = self.__dict__.get("_content_cache")
        if cached is not None and cached[0] == key:
            return cached[1]
        rows = list(
            Operation.objects.filter(
                document_id=self.pk,
                revision__gt=self.content_revision,
                revision__lte=self.revision,
            )
            .order_by("revision")
            .values_list("revision", "ops")
        )
        text = checkpoints.rebuild(
            self.content_checkpoint, self.content_revision, self.revision, rows
        )
        self.__dict__["_content_cache"] = (key, text)
        return text

    @content.setter
    def content(self, text: str) -> None:
        """Sets the whole text as of the instance's `revision` (creation, imports)."""
        self.content_checkpoint = text
        self.content_revision = self.revision
        self.__dict__.pop("_content_cache", None)


class DocumentSearch(models.Model):
    """A document's full-text search vector, kept off the document row (PostgreSQL search).

    The editor rewrites `Document.content` many times a second; an index over the text on
    that row would recompute the vector inside every update, while the row is locked.
    Here the vector is refreshed lazily instead (`collaboration.search.refresh_search_index`,
    run before each search and by a periodic task) from the rows whose `updated_at`
    differs from `source_updated_at`. Unused on SQLite.
    """

    document = models.OneToOneField(
        Document, primary_key=True, on_delete=models.CASCADE, related_name="search"
    )
    vector = SearchVectorField(null=True)
    source_updated_at = models.DateTimeField(
        null=True, help_text="The document's updated_at the vector was computed from."
    )

    def __str__(self) -> str:
        return f"search vector of {self.document_id}"


class MemberRole(models.TextChoices):
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


class DocumentMember(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="document_memberships"
    )
    role = models.CharField(max_length=16, choices=MemberRole.choices, default=MemberRole.EDITOR)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "user"], name="unique_document_member")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) on {self.document}"


class EditSource(models.TextChoices):
    """Where a committed revision came from (a closed set: receivers of the hook rely on it)."""

    SOCKET = "socket", "Live editor"
    API = "api", "REST API"
    RESTORE = "restore", "Restore of an earlier revision"
    MERGE = "merge", "Merged proposal"
    SUGGESTION = "suggestion", "Accepted suggestion"
    SYSTEM = "system", "The site itself (imports, demo content)"


class Operation(models.Model):
    """One committed change: revision N turns the text of revision N-1 into revision N.

    `user` is the author credited with the change; `actor` who committed it, when that is
    someone else (a reviewer merging a proposal); null means the author did.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="operations")
    revision = models.PositiveIntegerField()
    base_revision = models.PositiveIntegerField()
    ops = models.JSONField()
    client_op_id = models.CharField(max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="operations"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(max_length=16, choices=EditSource.choices, default=EditSource.SOCKET)
    chars_inserted = models.PositiveIntegerField(default=0)
    chars_deleted = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "revision"], name="unique_operation_revision"
            ),
            models.UniqueConstraint(
                fields=["document", "client_op_id"], name="unique_operation_client_op_id"
            ),
            # Receivers of the post-commit hook branch on the source: only known ones.
            models.CheckConstraint(
                condition=models.Q(source__in=EditSource.values), name="operation_source_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}@{self.revision}"


class Snapshot(models.Model):
    """The full text at a revision, so history never replays the whole log."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="snapshots")
    revision = models.PositiveIntegerField()
    content = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "revision"], name="unique_snapshot_revision"
            )
        ]

    def __str__(self) -> str:
        return f"snapshot {self.document_id}@{self.revision}"


class CollaborationSession(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="sessions")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="created_sessions"
    )
    max_participants = models.PositiveIntegerField(default=10)
    is_private = models.BooleanField(default=False)
    invited = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="session_invitations"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"session {self.pk} on {self.document}"


class SessionParticipant(models.Model):
    """A live connection counted against the session's max_participants."""

    session = models.ForeignKey(
        CollaborationSession, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    connection_id = models.CharField(max_length=64, unique=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} in {self.session_id}"


class ChatMessage(models.Model):
    class MessageType(models.TextChoices):
        TEXT = "text", "Text"
        CODE = "code", "Code"
        SYSTEM = "system", "System"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chat_messages")
    session = models.ForeignKey(
        CollaborationSession, on_delete=models.SET_NULL, null=True, blank=True
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    message = models.TextField(max_length=4000)
    message_type = models.CharField(
        max_length=16, choices=MessageType.choices, default=MessageType.TEXT
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["document", "created_at"])]

    def __str__(self) -> str:
        return f"{self.user}: {self.message[:40]}"


class DocumentRead(models.Model):
    """That a user read a document: when last (`read_at`) and how many times (`count`).

    One row per user and document, written by `collaboration.reads.document_read_record`
    (at most once per ten minutes per pair). Recommendations are built from these rows.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="document_reads"
    )
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField(help_text="When the user last read the document.")
    count = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-read_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "document"], name="unique_document_read")
        ]
        indexes = [
            models.Index(fields=["user", "-read_at"], name="document_read_user_recent"),
            models.Index(fields=["document", "-read_at"], name="document_read_doc_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.document_id} ({self.count} times)"


class RevisionCursor(models.Model):
    """How far one receiver of the post-commit hook got on one document.

    Moved in the same transaction as the receiver's own writes, so every revision reaches
    it exactly once, in order, also across processes and after a crash
    (`collaboration.revisions`).
    """

    receiver = models.CharField(max_length=100)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    revision = models.PositiveIntegerField(help_text="The last revision the receiver handled.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["receiver", "document"], name="unique_revision_cursor")
        ]

    def __str__(self) -> str:
        return f"{self.receiver} on {self.document_id} at {self.revision}"


class Room(models.Model):
    """A live room (a study group's or an AMA's chat): a topic sockets subscribe to.

    `kind` names the app object it belongs to (`study_group`, `ama`, ...). Who may read:
    everyone signed in for public rooms, the members otherwise, moderators always.
    """

    kind = models.SlugField(max_length=40)
    title = models.CharField(max_length=200)
    is_public = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # Bumped when members leave or the room is closed: subscribed sockets are re-checked.
    access_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class RoomMember(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_memberships"
    )
    # The room's own moderators (a group's owner and moderators, an AMA's host): they may
    # delete anyone's messages there, as site moderators may everywhere.
    is_moderator = models.BooleanField(default=False)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="unique_room_member")]

    def __str__(self) -> str:
        return f"{self.user} in {self.room}"


class RoomEntryKind(models.TextChoices):
    """What a row of a room's log records."""

    MESSAGE = "message", "A message"
    EDIT = "edit", "A message was edited"
    DELETE = "delete", "A message was deleted"
    EVENT = "event", "An app event (e.g. an AMA question moved in the queue)"


class RoomMessage(models.Model):
    """A room's log: ids grow in commit order per room (posting locks the room row), so a
    client that reconnects asks for everything after the last id it saw.

    Besides messages the log records edits and deletions of messages (`target`; the
    message row itself keeps its current text) and app events (`payload`, the frame the
    room's sockets get), so a reconnecting client replays those too, in order.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    kind = models.CharField(
        max_length=16, choices=RoomEntryKind.choices, default=RoomEntryKind.MESSAGE
    )
    message = models.TextField(max_length=4000, blank=True)
    message_type = models.CharField(
        max_length=16, choices=ChatMessage.MessageType.choices, default=ChatMessage.MessageType.TEXT
    )
    target = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="changes"
    )
    payload = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["room", "id"], name="room_message_log")]

    def __str__(self) -> str:
        return f"{self.user}: {self.message[:40]}"


from .attachments.models import Attachment  # noqa: E402,F401
from .semantic.models import Embedding  # noqa: E402,F401
