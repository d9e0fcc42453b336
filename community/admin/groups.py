"""Study groups in the admin, for moderators: groups with their seats, members, requests
and meetups, and the "Archive" action.

Membership changes only through `community.services.groups_membership` (it keeps
`member_count` and the group's chat room in step under the group's row lock), so members,
requests and meetups are shown here, never edited; archiving goes through the service.
"""

from __future__ import annotations

from django.contrib import admin, messages

from ..errors import CommunityError
from ..models import Meetup, StudyGroup, StudyGroupJoinRequest, StudyGroupMember
from ..services import groups as group_services
from .common import ReadOnlyAdmin


class MemberInline(admin.TabularInline):
    model = StudyGroupMember
    fields = ["user", "role", "joined_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MeetupInline(admin.TabularInline):
    model = Meetup
    fields = ["title", "starts_at", "ends_at", "timezone", "cancelled_at", "reminded_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StudyGroup)
class StudyGroupAdmin(ReadOnlyAdmin):
    list_display = [
        "name", "topic_focus", "owner", "member_count", "max_members", "is_private",
        "created_at", "archived_at",
    ]  # fmt: skip
    list_filter = ["is_private", "archived_at", "created_at"]
    search_fields = ["name", "topic_focus", "owner__username"]
    list_select_related = ["owner"]
    inlines = [MemberInline, MeetupInline]
    actions = ["archive"]

    def has_change_permission(self, request, obj=None):
        # Kept for the list (actions need it); the detail page stays view-only.
        return obj is None and request.user.is_staff

    @admin.action(description="Archive (leaves the list, closes the chat; members keep reading)")
    def archive(self, request, queryset):
        done = 0
        for group in queryset:
            try:
                group_services.group_archive(group_id=group.pk, user=request.user)
            except CommunityError as exc:
                self.message_user(request, f"{group}: {exc.message}", messages.WARNING)
            else:
                done += 1
        self.message_user(request, f"{done} group(s) archived.", messages.SUCCESS)


@admin.register(StudyGroupJoinRequest)
class JoinRequestAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "group", "user", "kind", "status", "created_by", "decided_by"]
    list_filter = ["kind", "status", "created_at"]
    search_fields = ["group__name", "user__username"]
    list_select_related = ["group", "user", "created_by", "decided_by"]


@admin.register(Meetup)
class MeetupAdmin(ReadOnlyAdmin):
    list_display = ["starts_at", "title", "group", "timezone", "cancelled_at", "reminded_at"]
    list_filter = ["starts_at", "cancelled_at"]
    search_fields = ["title", "group__name"]
    list_select_related = ["group"]
    date_hierarchy = "starts_at"
