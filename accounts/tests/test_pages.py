"""Account pages through the Django test client: sign up, log in/out, profiles, passwords."""

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from collaboration.models import Visibility
from collaboration.tests.factories import DocumentFactory, OperationFactory, TagFactory

pytestmark = pytest.mark.django_db

SIGNUP_URL = reverse("accounts:signup")
LOGIN_URL = reverse("accounts:login")
LOGOUT_URL = reverse("accounts:logout")
HOME_URL = reverse("collaboration:home")


def _signup_data(**overrides):
    data = {
        "username": "newcomer",
        "email": "newcomer@example.org",
        "full_name": "Nia Newcomer",
        "password1": "a-long-unusual-passphrase-77",
        "password2": "a-long-unusual-passphrase-77",
    }
    data.update(overrides)
    return data


def _logged_in_user(client):
    return client.get(HOME_URL).wsgi_request.user


# --- Sign up -------------------------------------------------------------------------


def test_signup_page_renders_with_csrf(client):
    response = client.get(SIGNUP_URL)
    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in response.content.decode()


def test_signup_happy_path_creates_a_learner_and_logs_in(client):
    response = client.post(SIGNUP_URL, _signup_data())
    assert response.status_code == 302
    assert response.url == HOME_URL
    user = User.objects.get(username="newcomer")
    assert user.role == Role.LEARNER
    assert user.full_name == "Nia Newcomer"
    assert user.check_password("a-long-unusual-passphrase-77")
    assert _logged_in_user(client) == user


def test_signup_weak_password_shows_errors_on_the_page(client):
    response = client.post(SIGNUP_URL, _signup_data(password1="password", password2="password"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "This password is too common." in body
    assert not User.objects.filter(username="newcomer").exists()
    assert not _logged_in_user(client).is_authenticated


def test_signup_mismatched_passwords(client):
    response = client.post(SIGNUP_URL, _signup_data(password2="something-else-entirely-9"))
    assert response.status_code == 200
    assert "The two passwords are different." in response.content.decode()


def test_signup_duplicate_email_any_case_is_refused_on_the_page(client):
    UserFactory(email="taken@example.org")
    response = client.post(SIGNUP_URL, _signup_data(email="TAKEN@Example.org"))
    assert response.status_code == 200
    assert "An account with this email address already exists." in response.content.decode()
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1


def test_signup_duplicate_username_any_case_is_refused_on_the_page(client):
    UserFactory(username="Grace")
    response = client.post(SIGNUP_URL, _signup_data(username="grace"))
    assert response.status_code == 200
    assert "This username is taken." in response.content.decode()


def test_signup_honours_a_safe_next(client):
    response = client.post(SIGNUP_URL, _signup_data(next="/tags/nlp/"))
    assert response.status_code == 302
    assert response.url == "/tags/nlp/"


# --- Log in and out ------------------------------------------------------------------


def test_login_page_asks_for_email_or_username(client):
    body = client.get(LOGIN_URL).content.decode()
    assert "Email or username" in body
    assert "csrfmiddlewaretoken" in body


@pytest.mark.parametrize("identifier", ["ada", "ADA", "ada@example.org", "Ada@Example.org"])
def test_login_by_username_or_email(client, identifier):
    user = UserFactory(username="ada", email="ada@example.org")
    response = client.post(LOGIN_URL, {"identifier": identifier, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response.url == HOME_URL
    assert _logged_in_user(client) == user


def test_login_wrong_password_shows_a_form_error(client):
    UserFactory(username="ada")
    response = client.post(LOGIN_URL, {"identifier": "ada", "password": "not-my-password"})
    assert response.status_code == 200
    assert "That email/username and password don&#x27;t match." in response.content.decode()
    assert not _logged_in_user(client).is_authenticated


def test_login_unknown_account_gets_the_same_error(client):
    response = client.post(LOGIN_URL, {"identifier": "nobody", "password": "whatever-123"})
    assert response.status_code == 200
    assert "That email/username and password don&#x27;t match." in response.content.decode()


def test_login_locks_out_after_five_failures_even_with_the_right_password(client, settings):
    settings.MAX_LOGIN_ATTEMPTS = 5
    settings.LOGIN_LOCKOUT_COOLOFF_SECONDS = 15 * 60
    UserFactory(username="ada")
    for _ in range(5):
        response = client.post(LOGIN_URL, {"identifier": "ada", "password": "wrong-guess"})
        assert response.status_code == 200
    response = client.post(LOGIN_URL, {"identifier": "ada", "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in body
    assert int(response["Retry-After"]) > 0
    assert not _logged_in_user(client).is_authenticated


def test_login_next_is_honoured_when_it_is_on_this_site(client):
    UserFactory(username="ada")
    response = client.post(
        f"{LOGIN_URL}?next=/accounts/profile/edit/",
        {"identifier": "ada", "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == "/accounts/profile/edit/"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/phish", "//evil.example/", "https:evil.example", "/\\evil.example"],
)
def test_login_next_open_redirect_is_refused(client, target):
    UserFactory(username="ada")
    response = client.post(
        LOGIN_URL, {"identifier": "ada", "password": DEFAULT_PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.url == HOME_URL


def test_login_page_does_not_echo_an_unsafe_next(client):
    body = client.get(f"{LOGIN_URL}?next=https://evil.example/").content.decode()
    assert "evil.example" not in body


def test_logout_requires_post(client, user):
    client.force_login(user)
    assert client.get(LOGOUT_URL).status_code == 405
    assert _logged_in_user(client).is_authenticated
    response = client.post(LOGOUT_URL)
    assert response.status_code == 302
    assert not _logged_in_user(client).is_authenticated


def test_logout_is_csrf_protected(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(LOGOUT_URL).status_code == 403
    assert _logged_in_user(client).is_authenticated


# --- Profiles ------------------------------------------------------------------------


def test_profile_shows_role_reputation_expertise_and_contributions(client):
    TagFactory(slug="transformers", name="Transformers")
    person = UserFactory(
        username="eve",
        full_name="Eve Okafor",
        role=Role.EXPERT,
        reputation=1250,
        expertise_areas=["transformers"],
        bio="NLP researcher.",
    )
    public = DocumentFactory(title="Attention explained", owner=person)
    DocumentFactory(title="Private notes", owner=person, visibility=Visibility.PRIVATE)
    other = DocumentFactory(title="Someone else's page")
    for _ in range(2):
        OperationFactory(document=other, user=person)
    OperationFactory(document=public, user=person)

    response = client.get(reverse("accounts:profile", kwargs={"username": "eve"}))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Eve Okafor" in body
    assert "Expert" in body
    assert "1,250" in body
    assert 'href="/tags/transformers/"' in body
    assert "NLP researcher." in body
    assert "Attention explained" in body
    assert "Someone else&#x27;s page" in body  # recently edited
    assert "Private notes" not in body
    assert response.context["edit_count"] == 3


def test_own_profile_lists_private_documents_and_edit_links(client):
    person = UserFactory(username="eve")
    DocumentFactory(title="Private notes", owner=person, visibility=Visibility.PRIVATE)
    client.force_login(person)
    body = client.get(reverse("accounts:profile", kwargs={"username": "eve"})).content.decode()
    assert "Private notes" in body
    assert reverse("accounts:profile_edit") in body


def test_unknown_or_inactive_profile_is_404(client):
    UserFactory(username="gone", is_active=False)
    assert client.get(reverse("accounts:profile", kwargs={"username": "nobody"})).status_code == 404
    assert client.get(reverse("accounts:profile", kwargs={"username": "gone"})).status_code == 404


def test_profile_edit_requires_login(client):
    response = client.get(reverse("accounts:profile_edit"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)


def test_profile_edit_saves_fields_but_cannot_change_role_or_reputation(client):
    TagFactory(slug="nlp", name="NLP")
    TagFactory(slug="attention", name="Attention")
    person = UserFactory(role=Role.LEARNER, reputation=5)
    client.force_login(person)
    response = client.post(
        reverse("accounts:profile_edit"),
        {
            "full_name": "New Name",
            "email": "new@example.org",
            "bio": "Learning NLP.",
            "expertise_areas": "NLP, attention, nlp",
            "role": Role.ADMIN,
            "reputation": "99999",
            "is_staff": "on",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.full_name == "New Name"
    assert person.email == "new@example.org"
    assert person.bio == "Learning NLP."
    assert person.expertise_areas == ["nlp", "attention"]
    assert person.role == Role.LEARNER
    assert person.reputation == 5
    assert not person.is_staff


def test_profile_edit_refuses_unknown_topics(client):
    UserFactory(email="taken@example.org")
    person = UserFactory()
    client.force_login(person)
    response = client.post(
        reverse("accounts:profile_edit"),
        {"full_name": "X", "email": "Taken@example.org", "bio": "", "expertise_areas": "alchemy"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is no topic called “alchemy” yet." in body
    person.refresh_from_db()
    assert person.email != "taken@example.org"


def test_profile_edit_shows_a_taken_email_error(client):
    UserFactory(email="taken@example.org")
    person = UserFactory()
    client.force_login(person)
    response = client.post(
        reverse("accounts:profile_edit"),
        {"full_name": "X", "email": "Taken@example.org", "bio": "", "expertise_areas": ""},
    )
    assert response.status_code == 200
    assert "An account with this email address already exists." in response.content.decode()
    person.refresh_from_db()
    assert person.email != "taken@example.org"


# --- Password change -----------------------------------------------------------------


def test_password_change_works_and_the_old_password_stops_working(client):
    person = UserFactory(username="ada")
    client.force_login(person)
    new_password = "another-long-passphrase-31"
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_change_done")
    # Still logged in on this browser after the change.
    assert client.get(response.url).status_code == 200
    assert _logged_in_user(client) == person

    client.post(LOGOUT_URL)
    old = client.post(LOGIN_URL, {"identifier": "ada", "password": DEFAULT_PASSWORD})
    assert old.status_code == 200
    assert not _logged_in_user(client).is_authenticated
    new = client.post(LOGIN_URL, {"identifier": "ada", "password": new_password})
    assert new.status_code == 302
    assert _logged_in_user(client) == person


def test_password_change_with_a_wrong_old_password_shows_an_error(client, user):
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "wrong",
            "new_password1": "another-long-passphrase-31",
            "new_password2": "another-long-passphrase-31",
        },
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in response.content.decode()
