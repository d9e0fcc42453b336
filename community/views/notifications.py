"""Notification pages: the inbox (`/notifications/`), the settings (delivery per kind and
the watch list), the watch control's form, and one-click unsubscribe from emails.

Unsubscribe links work without signing in (the signed token names the person) and change
nothing on GET, because mail clients and scanners prefetch links: the page asks for one
click, and RFC 8058's one-click POST from the mail client applies at once.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, When
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ..errors import CommunityError
from ..forms.notifications import InboxFilterForm, PreferencesForm, WatchForm
from ..models import Notification, NotificationKind, Watch
from ..selectors import notifications as selectors
from ..services import notification_email as email
from ..services import notifications as services
from ..services import watches

PER_PAGE = 30


def _safe_next(request, url: str | None, fallback: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return fallback


@login_required
def inbox(request):
    """Unread first (highlighted), then the rest, newest first; filters by kind."""
    form = InboxFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {"kind": "", "unread": False}
    rows = selectors.inbox(
        user=request.user, unread=filters["unread"], kind=filters["kind"] or None
    ).order_by(Case(When(read_at__isnull=True, then=0), default=1), "-pk")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    newest = Notification.objects.filter(recipient=request.user).order_by("-pk").first()
    return render(
        request,
        "community/notifications/inbox.html",
        {
            "form": form,
            "page": page,
            "unread_count": selectors.unread_count(request.user),
            "newest_id": newest.pk if newest else 0,
            "kinds": selectors.kinds_with_counts(request.user),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def open_notification(request, notification_id: int):
    """The inbox's link: marks the notification read, then goes where it leads."""
    notification = services.mark_read(user=request.user, notification_id=notification_id)
    url = notification.url if notification.url.startswith("/") else "/"
    return redirect(_safe_next(request, url, reverse("community:notification-inbox")))


@login_required
@require_POST
def mark_read(request, notification_id: int):
    services.mark_read(user=request.user, notification_id=notification_id)
    return redirect(
        _safe_next(request, request.POST.get("next"), reverse("community:notification-inbox"))
    )


@login_required
@require_POST
def mark_all_read(request):
    before = request.POST.get("before_id", "")
    count = services.mark_all_read(
        user=request.user, before_id=int(before) if before.isdigit() else None
    )
    if count:
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect(
        _safe_next(request, request.POST.get("next"), reverse("community:notification-inbox"))
    )


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    """How each kind reaches the person, and what they watch (with unread counts)."""
    choices = selectors.preferences(request.user)
    form = PreferencesForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        services.preferences_update(user=request.user, changes=form.cleaned_data)
        messages.success(request, "Your notification settings are saved.")
        return redirect("community:notification-settings")
    watch_items = selectors.watch_list(request.user)
    return render(
        request,
        "community/notifications/settings.html",
        {
            "form": form,
            "watches": [
                (item, WatchForm(initial=_watch_initial(item.watch))) for item in watch_items
            ],
        },
    )


def _watch_initial(watch: Watch) -> dict:
    return {
        "target_type": watch.target_type,
        "target_id": watch.document_id or watch.tag_id or watch.question_id,
        "level": watch.level,
        "next": reverse("community:notification-settings"),
    }


@login_required
@require_POST
def set_watch(request):
    """The watch control's form (question and document pages, the watch list)."""
    form = WatchForm(request.POST)
    fallback = reverse("community:notification-settings")
    if not form.is_valid():
        messages.error(request, "That watch level could not be saved: choose one of the list.")
        return redirect(_safe_next(request, request.POST.get("next"), fallback))
    data = form.cleaned_data
    try:
        target = watches.watch_target(request.user, data["target_type"], data["target_id"])
        watches.watch_set(user=request.user, target=target, level=data["level"])
    except CommunityError as exc:
        messages.error(request, exc.message)
    else:
        level = dict(form.fields["level"].choices)[data["level"]].split(":")[0]
        messages.success(request, f"Saved: {level.lower()}.")
    return redirect(_safe_next(request, data.get("next"), fallback))


@login_required
def open_watch(request, watch_id: int):
    """The watch list's link: the unread count starts again, then the watched thing."""
    items = {item.watch.pk: item for item in selectors.watch_list(request.user)}
    item = items.get(watch_id)
    if item is None:
        raise Http404("You do not watch that.")
    target = item.watch.document or item.watch.tag or item.watch.question
    watches.watch_seen(user=request.user, target=target)
    return redirect(item.url)


@csrf_exempt  # the signed token is the credential; mail clients POST without a cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    found = email.read_unsubscribe_token(token)
    if found is None:
        return render(
            request, "community/notifications/unsubscribe.html", {"bad": True}, status=404
        )
    user, kind = found
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    if request.method == "POST":
        email.unsubscribe(user=user, kind=kind)
        if one_click:
            return HttpResponse("Unsubscribed.", content_type="text/plain")
    what = "any email" if kind == email.ALL_KINDS else f"“{NotificationKind(kind).label}” emails"
    return render(
        request,
        "community/notifications/unsubscribe.html",
        {"done": request.method == "POST", "what": what, "person": user},
    )


PAGES = [
    path("notifications/", inbox, name="notification-inbox"),
    path("notifications/read-all/", mark_all_read, name="notification-read-all"),
    path("notifications/settings/", notification_settings, name="notification-settings"),
    path("notifications/watch/", set_watch, name="notification-watch"),
    path("notifications/watches/<int:watch_id>/", open_watch, name="notification-watch-open"),
    path("notifications/unsubscribe/<str:token>/", unsubscribe, name="notification-unsubscribe"),
    path("notifications/<int:notification_id>/", open_notification, name="notification-open"),
    path("notifications/<int:notification_id>/read/", mark_read, name="notification-read"),
]
