"""Account pages: sign up, log in and out (everywhere too), public profiles, profile and
password changes."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from collaboration import selectors as document_selectors
from config import panels

from . import selectors, services
from .forms import LoginForm, ProfileForm, SignupForm

REDIRECT_FIELD_NAME = "next"


def _home_url() -> str:
    # settings.LOGIN_REDIRECT_URL names the un-namespaced "home" url; fall back to the
    # namespaced one so these pages work even where that alias is not wired.
    try:
        return resolve_url(settings.LOGIN_REDIRECT_URL)
    except NoReverseMatch:
        return reverse("collaboration:home")


def _safe_next(request) -> str:
    """The `next` parameter when it points at this site, else ""."""
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
def signup(request):
    if request.user.is_authenticated:
        return redirect(_safe_next(request) or _home_url())
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                full_name=data["full_name"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            messages.success(request, f"Welcome, {user.get_short_name()}! Your account is ready.")
            return redirect(_safe_next(request) or _home_url())
    return render(request, "accounts/signup.html", {"form": form, "next": _safe_next(request)})


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    next_url = _safe_next(request)
    if request.user.is_authenticated and request.method != "POST":
        return redirect(next_url or _home_url())
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        return redirect(next_url or _home_url())
    response = render(request, "accounts/login.html", {"form": form, "next": next_url})
    if form.locked_for is not None:
        response.status_code = 429
        response["Retry-After"] = str(form.locked_for)
    return response


@require_POST
@csrf_protect
def logout_view(request):
    logout(request)
    messages.info(request, "You have logged out. See you soon!")
    return redirect(_safe_next(request) or _home_url())


@require_POST
@csrf_protect
@login_required
def logout_everywhere(request):
    services.user_sign_out_everywhere(user=request.user)
    # The bump already ended this session too; logging out clears it for a clean page.
    logout(request)
    messages.info(
        request, "You have been signed out on every device. Log in again to continue here."
    )
    return redirect("accounts:login")


def profile(request, username: str):
    person = selectors.person_find(username=username)
    if person is None:
        raise Http404("There is no such person.")
    viewer = request.user
    return render(
        request,
        "accounts/profile.html",
        {
            "person": person,
            "is_self": viewer.is_authenticated and viewer.pk == person.pk,
            "expertise_tags": document_selectors.tag_list_by_slugs(
                slugs=list(person.expertise_areas or [])
            ),
            "owned_documents": document_selectors.document_list_owned_by(
                person=person, viewer=viewer
            ),
            "owned_count": document_selectors.document_count_owned_by(person=person, viewer=viewer),
            "edit_count": document_selectors.operation_count_by(person=person),
            "recently_edited": document_selectors.document_list_recently_edited_by(
                person=person, viewer=viewer
            ),
            "panels": panels.for_page("profile", request, person),
        },
    )


@login_required
@csrf_protect
def profile_edit(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST, initial=ProfileForm.initial_for(user))
        if form.is_valid():
            try:
                services.user_update_profile(user=user, **form.cleaned_data)
            except ValidationError as error:
                user.refresh_from_db()  # the service may have changed fields before refusing
                form.add_service_errors(error)
            else:
                messages.success(request, "Your profile has been saved.")
                return redirect("accounts:profile", username=user.username)
    else:
        form = ProfileForm(initial=ProfileForm.initial_for(user))
    return render(
        request,
        "accounts/profile_edit.html",
        {"form": form, "all_tags": document_selectors.tag_list_with_counts(user=request.user)},
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form):
        user = form.save()
        # Ends every other session, token and socket; this browser's session is then
        # re-signed with the new hash, which depends on the bumped generation.
        services.user_password_changed(user=user)
        update_session_auth_hash(self.request, user)
        return HttpResponseRedirect(self.get_success_url())


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"
