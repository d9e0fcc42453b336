"""Study group pages: the list, starting a group, a group's page (goals with progress and
your ticks, reading list, meetups, members, activity, chat) and its management page
(edit, requests, invitations, roles, meetups, reading list and goals).

Every button is a form that POSTs here and comes back, so everything works without
JavaScript; the page script only shows meetup times in the reader's own time zone.
Reads go through `community.selectors.groups`, writes through the services; a refusal
is shown on the form it came from, or as a message on the page it returns to, or (not
allowed) as a 403 page with its reason.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from collaboration.permissions import is_moderator, is_signed_in, readable_documents

from ..errors import CommunityError, NotAllowed
from ..forms.groups import (
    GoalForm,
    GroupCreateForm,
    GroupFilterForm,
    GroupForm,
    InviteForm,
    MeetupForm,
    ReadingListForm,
    split_goals,
)
from ..forms.questions import show_error
from ..models import GroupRole, StudyGroup
from ..selectors import groups as selectors
from ..services import groups as group_services
from ..services import groups_content as content
from ..services import groups_meetups as meetups
from ..services import groups_membership as membership

GROUPS_PER_PAGE = 20
ACTIVITY_PER_PAGE = 20
DOCUMENT_CHOICES = 200


def _refused(request, exc: CommunityError, back: str) -> HttpResponse:
    """Not allowed: the error page with the reason (403). Anything else (full, archived,
    bad input): back to the page, with the reason."""
    if isinstance(exc, NotAllowed):
        return render(
            request, "errors/error.html", {"status": 403, "message": exc.message}, status=403
        )
    messages.error(request, exc.message)
    return redirect(back)


def _detail_url(group_id: int, anchor: str = "") -> str:
    url = reverse("community:group-detail", args=[group_id])
    return f"{url}#{anchor}" if anchor else url


def _manage_url(group_id: int, anchor: str = "") -> str:
    url = reverse("community:group-manage", args=[group_id])
    return f"{url}#{anchor}" if anchor else url


def _documents(user) -> list[tuple[str, str]]:
    rows = readable_documents(user).order_by("title").values_list("pk", "title")
    return [(str(pk), title) for pk, title in rows[:DOCUMENT_CHOICES]]


# --- the list and a new group ----------------------------------------------------------------


@require_safe
def group_list(request):
    form = GroupFilterForm(request.GET, topics=selectors.topics())
    filters = form.filters()
    groups = selectors.group_list(
        user=request.user,
        topic=filters["topic"] or None,
        open_seats=filters["open_seats"],
        mine=filters["mine"],
        q=filters["q"] or None,
    )
    page = Paginator(groups, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    ids = [group.pk for group in page.object_list]
    roles = selectors.roles_in(request.user, ids)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "community/groups/list.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "rows": [(group, roles.get(group.pk)) for group in page.object_list],
            "query": query.urlencode(),
        },
    )


@login_required
def group_create(request):
    form = GroupCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            group = group_services.group_create(
                owner=request.user,
                name=data["name"],
                description=data["description"],
                topic_focus=data["topic_focus"],
                max_members=data["max_members"],
                is_private=data["is_private"],
                learning_goals=split_goals(data["learning_goals"]),
            )
        except CommunityError as exc:
            show_error(form, exc)
        else:
            messages.success(request, f"“{group.name}” is ready. Invite people or share its page.")
            return redirect(_detail_url(group.pk))
    return render(request, "community/groups/new.html", {"form": form})


# --- a group ---------------------------------------------------------------------------------


def _outsider_page(request, group: StudyGroup) -> HttpResponse:
    """What anyone may know of a private group: what the list shows, and a way in."""
    pending = selectors.pending_of(request.user, [group.pk]).get(group.pk)
    return render(request, "community/groups/private.html", {"group": group, "pending": pending})


@require_safe
def group_detail(request, group_id: int):
    group = StudyGroup.objects.select_related("owner", "room").filter(pk=group_id).first()
    if (
        group is not None
        and group.archived_at is None
        and not selectors.can_see_details(request.user, group)
    ):
        return _outsider_page(request, group)
    group = selectors.group_get_visible(user=request.user, group_id=group_id)
    member = selectors.membership(request.user, group)
    now = timezone.now()
    activity = Paginator(selectors.activity_of(user=request.user, group=group), ACTIVITY_PER_PAGE)
    context: dict[str, Any] = {
        "group": group,
        "member": member,
        "is_manager": member is not None and member.role in selectors.MANAGER_ROLES,
        "pending": selectors.pending_of(request.user, [group.pk]).get(group.pk),
        "goals": selectors.goals_with_progress(user=request.user, group=group),
        "reading": selectors.reading_list(user=request.user, group=group),
        "meetups": selectors.meetups_of(group=group, upcoming_after=now),
        "members": selectors.members_of(group=group),
        "activity": activity.get_page(request.GET.get("activity")),
        "seats_left": max(0, group.max_members - group.member_count),
        "signed_in": is_signed_in(request.user),
        "can_archive": is_moderator(request.user)
        or (member is not None and member.role == GroupRole.OWNER),
    }
    if member is not None:
        context["reading_form"] = ReadingListForm(documents=_documents(request.user))
    return render(request, "community/groups/detail.html", context)


def _manage_context(request, group: StudyGroup, **forms) -> dict[str, Any]:
    initial = {field: getattr(group, field) for field in GroupForm.base_fields}
    return {
        "group": group,
        "member": selectors.membership(request.user, group),
        "edit_form": forms.get("edit_form") or GroupForm(initial=initial),
        "invite_form": forms.get("invite_form") or InviteForm(),
        "meetup_form": forms.get("meetup_form") or MeetupForm(),
        "goal_form": forms.get("goal_form") or GoalForm(),
        "reading_form": forms.get("reading_form")
        or ReadingListForm(documents=_documents(request.user)),
        "requests": selectors.requests_of(user=request.user, group=group),
        "members": selectors.members_of(group=group),
        "goals": selectors.goals_with_progress(user=request.user, group=group),
        "reading": selectors.reading_list(user=request.user, group=group),
        "meetups": selectors.meetups_of(group=group, upcoming_after=timezone.now()),
        "roles": GroupRole.choices,
    }


def _manage_page(request, group: StudyGroup, status: int = 200, **forms) -> HttpResponse:
    context = _manage_context(request, group, **forms)
    return render(request, "community/groups/manage.html", context, status=status)


@login_required
def group_manage(request, group_id: int):
    """The management page; its POST saves the group's settings."""
    group = selectors.group_get_visible(user=request.user, group_id=group_id)
    if not selectors.is_manager(request.user, group):
        return _refused(request, NotAllowed("Only the group's owner and moderators manage it."), "")
    if request.method != "POST":
        return _manage_page(request, group)
    form = GroupForm(request.POST)
    if form.is_valid():
        try:
            group_services.group_update(group_id=group.pk, user=request.user, **form.cleaned_data)
        except CommunityError as exc:
            if isinstance(exc, NotAllowed):
                return _refused(request, exc, "")
            show_error(form, exc)
        else:
            messages.success(request, "The group's settings are saved.")
            return redirect(_manage_url(group.pk))
    return _manage_page(request, group, status=400, edit_form=form)


def _form_action(form_name: str, form_class, service, done: str, anchor: str, **form_kwargs):
    """A management form: valid input goes to `service(group_id, user, **cleaned)`;
    invalid input or a refusal comes back on the management page, next to the field."""

    @login_required
    @require_POST
    def view(request, group_id: int):
        group = selectors.group_get_visible(user=request.user, group_id=group_id)
        kwargs = {key: value(request) for key, value in form_kwargs.items()}
        form = form_class(request.POST, **kwargs)
        if form.is_valid():
            try:
                service(group_id=group.pk, user=request.user, **form.cleaned_data)
            except CommunityError as exc:
                if isinstance(exc, NotAllowed):
                    return _refused(request, exc, "")
                show_error(form, exc)
            else:
                messages.success(request, done)
                back = request.POST.get("next", "")
                if back == "detail":
                    return redirect(_detail_url(group.pk, anchor))
                return redirect(_manage_url(group.pk, anchor))
        if not selectors.is_manager(request.user, group):
            # Members add to the reading list from the group's page: the reason goes there.
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
            return redirect(_detail_url(group.pk, anchor))
        return _manage_page(request, group, status=400, **{form_name: form})

    view.__name__ = f"group_{form_name}"
    return view


def _invite(*, group_id, user, username):
    return membership.invitation_create(group_id=group_id, user=user, username=username)


def _add_reading(*, group_id, user, document, note):
    return content.reading_list_add(group_id=group_id, user=user, document=document, note=note)


def _add_goal(*, group_id, user, title):
    return content.goal_add(group_id=group_id, user=user, title=title)


group_invite = _form_action("invite_form", InviteForm, _invite, "Invitation sent.", "invite")
group_reading_add = _form_action(
    "reading_form",
    ReadingListForm,
    _add_reading,
    "Added to the reading list.",
    "reading",
    documents=lambda request: _documents(request.user),
)
group_goal_add = _form_action("goal_form", GoalForm, _add_goal, "Goal added.", "goals")
group_meetup_add = _form_action(
    "meetup_form", MeetupForm, meetups.meetup_schedule, "Meetup scheduled.", "meetups"
)


def _button(service, done: str, anchor: str, *, to_manage: bool = False):
    """A one-click action (join, leave, tick, approve...): `service(group_id=, user=,
    **path ids)`; refusals come back as a message on the page."""

    @login_required
    @require_POST
    def view(request, group_id: int, **ids):
        back = (_manage_url if to_manage else _detail_url)(group_id, anchor)
        try:
            result = service(group_id=group_id, user=request.user, **ids)
        except CommunityError as exc:
            return _refused(request, exc, back)
        text = done(result) if callable(done) else done
        if text:
            messages.success(request, text)
        if request.POST.get("next") == "manage":
            return redirect(_manage_url(group_id, anchor))
        if request.POST.get("next") == "list":
            return redirect(reverse("community:group-list"))
        return redirect(back)

    view.__name__ = f"group_{service.__name__}"
    return view


@login_required
@require_POST
def group_join(request, group_id: int):
    """Join (public), accept an invitation, or ask to join with a word (private)."""
    selectors.group_listed_get(group_id=group_id)
    try:
        outcome = membership.group_join(
            group_id=group_id, user=request.user, message=request.POST.get("message", "")
        )
    except CommunityError as exc:
        return _refused(request, exc, _detail_url(group_id))
    if outcome.status == "joined":
        messages.success(request, "Welcome! You are a member now: say hello in the chat.")
    else:
        messages.success(request, "Your request is sent: the owner or a moderator will answer it.")
    return redirect(_detail_url(group_id))


def _leave(*, group_id, user):
    selectors.group_get_visible(user=user, group_id=group_id)
    return membership.group_leave(group_id=group_id, user=user)


def _tick(*, group_id, user, goal_id):
    return content.goal_tick(group_id=group_id, goal_id=goal_id, user=user)


def _untick(*, group_id, user, goal_id):
    return content.goal_untick(group_id=group_id, goal_id=goal_id, user=user)


def _remove_item(*, group_id, user, item_id):
    return content.reading_list_remove(group_id=group_id, user=user, item_id=item_id)


def _remove_goal(*, group_id, user, goal_id):
    return content.goal_remove(group_id=group_id, goal_id=goal_id, user=user)


def _cancel_meetup(*, group_id, user, meetup_id):
    return meetups.meetup_cancel(group_id=group_id, meetup_id=meetup_id, user=user)


def _remove_member(*, group_id, user, member_id):
    return membership.member_remove(group_id=group_id, user=user, member_user_id=member_id)


def _archive(*, group_id, user):
    return group_services.group_archive(group_id=group_id, user=user)


@login_required
@require_POST
def group_member_role(request, group_id: int, member_id: int):
    try:
        membership.member_set_role(
            group_id=group_id,
            user=request.user,
            member_user_id=member_id,
            role=request.POST.get("role", ""),
        )
    except CommunityError as exc:
        return _refused(request, exc, _manage_url(group_id, "members"))
    messages.success(request, "Role changed.")
    return redirect(_manage_url(group_id, "members"))


def _decision(service, done: str):
    def run(*, group_id, user, request_id):
        return service(group_id=group_id, request_id=request_id, user=user)

    run.__name__ = service.__name__
    return _button(run, done, "requests")


PAGES = [
    path("groups/", group_list, name="group-list"),
    path("groups/new/", group_create, name="group-new"),
    path("groups/<int:group_id>/", group_detail, name="group-detail"),
    path("groups/<int:group_id>/manage/", group_manage, name="group-manage"),
    path("groups/<int:group_id>/join/", group_join, name="group-join"),
    path(
        "groups/<int:group_id>/leave/",
        _button(_leave, "You left the group.", ""),
        name="group-leave",
    ),
    path(
        "groups/<int:group_id>/archive/",
        _button(_archive, "Group archived.", ""),
        name="group-archive",
    ),
    path("groups/<int:group_id>/invite/", group_invite, name="group-invite"),
    path("groups/<int:group_id>/reading-list/", group_reading_add, name="group-reading-add"),
    path(
        "groups/<int:group_id>/reading-list/<int:item_id>/remove/",
        _button(_remove_item, "Removed from the reading list.", "reading"),
        name="group-reading-remove",
    ),
    path("groups/<int:group_id>/goals/", group_goal_add, name="group-goal-add"),
    path(
        "groups/<int:group_id>/goals/<int:goal_id>/done/",
        _button(_tick, "", "goals"),
        name="group-goal-done",
    ),
    path(
        "groups/<int:group_id>/goals/<int:goal_id>/undone/",
        _button(_untick, "", "goals"),
        name="group-goal-undone",
    ),
    path(
        "groups/<int:group_id>/goals/<int:goal_id>/remove/",
        _button(_remove_goal, "Goal removed.", "goals", to_manage=True),
        name="group-goal-remove",
    ),
    path("groups/<int:group_id>/meetups/", group_meetup_add, name="group-meetup-add"),
    path(
        "groups/<int:group_id>/meetups/<int:meetup_id>/cancel/",
        _button(_cancel_meetup, "Meetup cancelled.", "meetups", to_manage=True),
        name="group-meetup-cancel",
    ),
    path(
        "groups/<int:group_id>/members/<int:member_id>/role/",
        group_member_role,
        name="group-member-role",
    ),
    path(
        "groups/<int:group_id>/members/<int:member_id>/remove/",
        _button(_remove_member, "Member removed.", "members", to_manage=True),
        name="group-member-remove",
    ),
    path(
        "groups/<int:group_id>/requests/<int:request_id>/approve/",
        _decision(membership.request_approve, "Approved: welcome them in the chat!"),
        name="group-request-approve",
    ),
    path(
        "groups/<int:group_id>/requests/<int:request_id>/decline/",
        _decision(membership.request_decline, "Declined."),
        name="group-request-decline",
    ),
    path(
        "groups/<int:group_id>/requests/<int:request_id>/cancel/",
        _decision(membership.request_cancel, "Cancelled."),
        name="group-request-cancel",
    ),
]
