"""`manage.py seed`: demo users per role, tags and documents; safe to run again."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.management.commands.seed import DEMO_DOCUMENTS, DEMO_USERS, demo_password
from collaboration.models import Document, DocumentMember, Tag, Visibility

pytestmark = pytest.mark.django_db


def _seed(*args, **options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def test_seed_creates_one_user_per_role(debug_on):
    out, _ = _seed()
    assert sorted(User.objects.values_list("role", flat=True)) == sorted(r.value for r in Role)
    for spec in DEMO_USERS:
        user = User.objects.get(username=spec.username)
        assert user.role == spec.role
        assert user.check_password(demo_password(spec.role))
        assert spec.username in out and demo_password(spec.role) in out
    admin = User.objects.get(role=Role.ADMIN)
    assert admin.is_superuser and admin.is_staff
    assert User.objects.get(role=Role.MODERATOR).is_staff
    assert not User.objects.get(role=Role.LEARNER).is_staff


def test_seed_creates_tags_and_substantive_documents(debug_on):
    _seed()
    assert Tag.objects.filter(slug__in=["transformers", "attention", "optimization"]).count() == 3
    public = Document.objects.filter(visibility=Visibility.PUBLIC)
    assert public.count() >= 5
    for document in public:
        assert document.revision == 0
        assert len(document.content.split()) >= 400
        assert "\n## " in document.content
        assert "```" in document.content
        assert "|---" in document.content
        assert "$" in document.content
        assert document.tags.exists()
    assert Document.objects.filter(visibility=Visibility.PRIVATE).exists()
    restricted = Document.objects.get(visibility=Visibility.RESTRICTED)
    assert DocumentMember.objects.filter(document=restricted).exists()


def test_seeded_documents_render(debug_on, client):
    _seed()
    for spec in DEMO_DOCUMENTS:
        if spec.visibility == Visibility.PUBLIC:
            response = client.get(f"/docs/{spec.slug}/")
            assert response.status_code == 200, spec.slug
    assert client.get("/").status_code == 200


def test_seed_twice_creates_nothing_new(debug_on):
    _seed()
    counts = (User.objects.count(), Tag.objects.count(), Document.objects.count())
    out, _ = _seed()
    assert (User.objects.count(), Tag.objects.count(), Document.objects.count()) == counts
    assert "0 new user(s)" in out


def test_if_empty_second_run_creates_nothing(debug_on):
    _seed("--if-empty")
    counts = (User.objects.count(), Tag.objects.count(), Document.objects.count())
    Document.objects.all().delete()  # even with content missing, existing users stop it
    out, _ = _seed("--if-empty")
    assert (User.objects.count(), Tag.objects.count()) == counts[:2]
    assert Document.objects.count() == 0
    assert "nothing was seeded" in out


def test_if_empty_does_nothing_when_any_user_exists(debug_on):
    UserFactory()
    _seed("--if-empty")
    assert User.objects.count() == 1
    assert not Document.objects.exists()


def test_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False
    _, err = _seed()
    assert "DEBUG is off" in err
    assert not User.objects.exists()

    _seed("--force")
    assert User.objects.filter(username__in=[spec.username for spec in DEMO_USERS]).count() == len(
        DEMO_USERS
    )
