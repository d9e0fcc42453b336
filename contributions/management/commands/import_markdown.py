"""`manage.py import_markdown <path> --owner <username>`: a Markdown file, a zip (of
Markdown files or of a Git repository) or a directory (zipped first, so the same checks
apply) becomes documents, as the import page does."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from collaboration.models import Visibility
from contributions.errors import ContributionsError
from contributions.git import importing


def _zip_directory(root: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                archive.write(path, str(path.relative_to(root)))
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Import a Markdown file, a zip, or a directory (a Git repository keeps its history)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--owner", required=True, help="Username of the documents' owner.")
        parser.add_argument("--visibility", choices=Visibility.values, default=Visibility.PRIVATE)

    def handle(self, *args, path: str, owner: str, visibility: str, **options):
        user = get_user_model().objects.filter(username__iexact=owner).first()
        if user is None:
            raise CommandError(f"There is no user named {owner!r}.")
        source = Path(path)
        if not source.exists():
            raise CommandError(f"{path} does not exist.")
        if source.is_dir():
            name, data = f"{source.name}.zip", _zip_directory(source)
        else:
            name, data = source.name, source.read_bytes()
        try:
            files = importing.read_upload(name=name, data=data)
            documents = importing.import_files(owner=user, files=files, visibility=visibility)
        except ContributionsError as exc:
            raise CommandError(exc.message) from exc
        for document in documents:
            self.stdout.write(f"{document.slug}: {document.revision} revision(s)")
        self.stdout.write(self.style.SUCCESS(f"{len(documents)} document(s) imported."))
