"""Study groups over REST: the list, a group, joining and leaving, members and roles,
requests and invitations, the reading list, goals with progress, meetups, the feed.

Views stay thin: parse with an input serializer, call one service or selector, render
with an output serializer. Every group is listed (private ones by name, topic and
seats); a private group's details and everything inside it answer 404 to anyone but its
members (and the people it invited, for the group itself). A full group answers 409.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ApiErrorSerializer, error_responses

from ..errors import Conflict
from ..models import StudyGroup
from ..selectors import groups as selectors
from ..services import groups as group_services
from ..services import groups_content as content
from ..services import groups_meetups as meetups
from ..services import groups_membership as membership
from . import study_group_serializers as s
from .errors import CommunityErrorsMixin

GROUP_ID = OpenApiParameter("group_id", OpenApiTypes.INT, OpenApiParameter.PATH)
USER_ID = OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH)
REQUEST_ID = OpenApiParameter("request_id", OpenApiTypes.INT, OpenApiParameter.PATH)
ITEM_ID = OpenApiParameter("item_id", OpenApiTypes.INT, OpenApiParameter.PATH)
GOAL_ID = OpenApiParameter("goal_id", OpenApiTypes.INT, OpenApiParameter.PATH)
MEETUP_ID = OpenApiParameter("meetup_id", OpenApiTypes.INT, OpenApiParameter.PATH)
REFUSED = {
    403: OpenApiResponse(ApiErrorSerializer, description="Not allowed (`forbidden`)."),
    404: OpenApiResponse(
        ApiErrorSerializer, description="No such group or item, or a private group you are not in."
    ),
}
CONFLICT = {
    409: OpenApiResponse(
        ApiErrorSerializer,
        description="The group's state forbids it: full, archived, already decided.",
    )
}


def _query(serializer_class, request: Request) -> dict[str, Any]:
    params = serializer_class(data=request.query_params)
    if not params.is_valid():
        raise exceptions.ValidationError(params.errors)
    return params.validated_data


def _input(serializer_class, request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _list_context(request: Request, groups: list[StudyGroup]) -> dict[str, Any]:
    ids = [group.pk for group in groups]
    return {
        "user": request.user,
        "roles": selectors.roles_in(request.user, ids),
        "pending": selectors.pending_of(request.user, ids),
    }


def _group_response(request: Request, group_id: int, http_status: int = 200) -> Response:
    group = selectors.group_get_visible(user=request.user, group_id=group_id)
    context = _list_context(request, [group])
    context["details"] = True
    context["goals"] = selectors.goals_with_progress(user=request.user, group=group)
    return Response(s.GroupDetailSerializer(group, context=context).data, status=http_status)


def _join_response(outcome: membership.JoinOutcome, http_status: int = 200) -> Response:
    body = {"status": outcome.status, "member": outcome.member, "request": outcome.request}
    return Response(s.GroupJoinResultSerializer(body).data, status=http_status)


class GroupListApi(CommunityErrorsMixin, GenericAPIView):
    """Paginated lists (GenericAPIView brings the paginator)."""

    filter_backends: list = []


class GroupActionApi(CommunityErrorsMixin, APIView):
    """Everything else: one item, or an action on it."""


# --- groups --------------------------------------------------------------------------------


@extend_schema(tags=["study groups"])
class GroupListCreateApi(GroupListApi):
    serializer_class = s.GroupListSerializer

    @extend_schema(
        summary="Study groups, newest first (private ones by name, topic and seats)",
        parameters=[s.GroupQuerySerializer],
        responses={200: s.GroupListSerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        query = _query(s.GroupQuerySerializer, request)
        groups = selectors.group_list(
            user=request.user,
            topic=query.get("topic") or None,
            open_seats=query["open_seats"],
            mine=query.get("member") == "me",
            q=query.get("q") or None,
        )
        page = self.paginate_queryset(groups)
        context = _list_context(request, page)
        return self.get_paginated_response(
            s.GroupListSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        summary="Start a study group (you are its owner and first member)",
        description="Creates the group's chat room (`room_id`) and its learning goals.",
        request=s.GroupCreateInputSerializer,
        responses={201: s.GroupDetailSerializer, **error_responses(400, 401)},
    )
    def post(self, request: Request) -> Response:
        group = group_services.group_create(
            owner=request.user, **_input(s.GroupCreateInputSerializer, request)
        )
        return _group_response(request, group.pk, status.HTTP_201_CREATED)


@extend_schema(tags=["study groups"], parameters=[GROUP_ID])
class GroupDetailApi(GroupActionApi):
    http_method_names = ["get", "patch", "delete", "head", "options"]

    @extend_schema(
        summary="A group with its goals and your progress",
        responses={200: s.GroupDetailSerializer, **error_responses(404)},
    )
    def get(self, request: Request, group_id: int) -> Response:
        return _group_response(request, group_id)

    @extend_schema(
        summary="Edit a group (owner and moderators)",
        description="`max_members` never goes below the members there are.",
        request=s.GroupUpdateInputSerializer,
        responses={200: s.GroupDetailSerializer, **error_responses(400), **REFUSED, **CONFLICT},
    )
    def patch(self, request: Request, group_id: int) -> Response:
        fields = _input(s.GroupUpdateInputSerializer, request)
        group_services.group_update(group_id=group_id, user=request.user, **fields)
        return _group_response(request, group_id)

    @extend_schema(
        summary="Archive a group (its owner, or a site moderator)",
        description="It leaves the list and its room closes; members can still read it.",
        responses={204: None, **REFUSED},
    )
    def delete(self, request: Request, group_id: int) -> Response:
        group_services.group_archive(group_id=group_id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["study groups"], parameters=[GROUP_ID])
class GroupJoinApi(GroupActionApi):
    @extend_schema(
        summary="Join a group (public), or ask to join (private)",
        description="A public group with a free seat: you are a member at once; a full one "
        "answers 409. A private group: a request for the owner and moderators (or, when "
        "you were invited, you join). Joining again changes nothing.",
        request=s.JoinInputSerializer,
        responses={
            200: s.GroupJoinResultSerializer,
            **error_responses(400, 401),
            **REFUSED,
            **CONFLICT,
        },
    )
    def post(self, request: Request, group_id: int) -> Response:
        fields = _input(s.JoinInputSerializer, request)
        selectors.group_listed_get(group_id=group_id)
        outcome = membership.group_join(group_id=group_id, user=request.user, **fields)
        return _join_response(outcome)


@extend_schema(tags=["study groups"], parameters=[GROUP_ID])
class GroupLeaveApi(GroupActionApi):
    @extend_schema(
        summary="Leave a group",
        description="You stop reading its room at once. The owner hands the group over "
        "first (409); someone who is not a member gets 409 too.",
        request=None,
        responses={204: None, **error_responses(401), **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, group_id: int) -> Response:
        selectors.group_get_visible(user=request.user, group_id=group_id)
        if not membership.group_leave(group_id=group_id, user=request.user):
            raise Conflict("You are not a member of this group.")
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- members -------------------------------------------------------------------------------


@extend_schema(tags=["study groups"], parameters=[GROUP_ID])
class MemberListApi(GroupListApi):
    serializer_class = s.GroupMemberSerializer

    @extend_schema(
        summary="Members: the owner, then moderators, then members by when they joined",
        responses={200: s.GroupMemberSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, group_id: int) -> Response:
        group = selectors.group_get_visible(user=request.user, group_id=group_id)
        page = self.paginate_queryset(selectors.members_of(group=group))
        return self.get_paginated_response(s.GroupMemberSerializer(page, many=True).data)

    @extend_schema(
        summary="Invite someone by username (owner and moderators)",
        description="They join when they accept; someone who already asked to join is let "
        "in at once.",
        request=s.MemberAddInputSerializer,
        responses={201: s.GroupJoinResultSerializer, **error_responses(400), **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, group_id: int) -> Response:
        fields = _input(s.MemberAddInputSerializer, request)
        outcome = membership.invitation_create(group_id=group_id, user=request.user, **fields)
        return _join_response(outcome, status.HTTP_201_CREATED)


@extend_schema(tags=["study groups"], parameters=[GROUP_ID, USER_ID])
class MemberDetailApi(GroupActionApi):
    http_method_names = ["patch", "delete", "options"]

    @extend_schema(
        summary="Change a member's role (the owner)",
        request=s.MemberRoleInputSerializer,
        responses={204: None, **error_responses(400), **REFUSED, **CONFLICT},
    )
    def patch(self, request: Request, group_id: int, user_id: int) -> Response:
        fields = _input(s.MemberRoleInputSerializer, request)
        membership.member_set_role(
            group_id=group_id, user=request.user, member_user_id=user_id, **fields
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Remove a member (owner; moderators remove members), or leave (yourself)",
        responses={204: None, **error_responses(400), **REFUSED, **CONFLICT},
    )
    def delete(self, request: Request, group_id: int, user_id: int) -> Response:
        if user_id == request.user.pk:
            selectors.group_get_visible(user=request.user, group_id=group_id)
            membership.group_leave(group_id=group_id, user=request.user)
        else:
            membership.member_remove(group_id=group_id, user=request.user, member_user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- requests and invitations --------------------------------------------------------------


@extend_schema(tags=["study groups"], parameters=[GROUP_ID])
class RequestListApi(GroupListApi):
    serializer_class = s.GroupJoinRequestSerializer

    @extend_schema(
        summary="Pending requests and invitations (all for owner and moderators, yours "
        "for anyone else)",
        responses={200: s.GroupJoinRequestSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, group_id: int) -> Response:
        group = selectors.group_listed_get(group_id=group_id)
        page = self.paginate_queryset(selectors.requests_of(user=request.user, group=group))
        return self.get_paginated_response(s.GroupJoinRequestSerializer(page, many=True).data)

    @extend_schema(
        summary="Ask to join (as `join`)",
        request=s.JoinInputSerializer,
        responses={
            200: s.GroupJoinResultSerializer,
            **error_responses(400, 401),
            **REFUSED,
            **CONFLICT,
        },
    )
    def post(self, request: Request, group_id: int) -> Response:
        fields = _input(s.JoinInputSerializer, request)
        selectors.group_listed_get(group_id=group_id)
        return _join_response(membership.group_join(group_id=group_id, user=request.user, **fields))


@extend_schema(tags=["study groups"], parameters=[GROUP_ID])
class InvitationApi(GroupActionApi):
    @extend_schema(
        summary="Invite someone by username (owner and moderators)",
        request=s.MemberAddInputSerializer,
        responses={201: s.GroupJoinResultSerializer, **error_responses(400), **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, group_id: int) -> Response:
        fields = _input(s.MemberAddInputSerializer, request)
        outcome = membership.invitation_create(group_id=group_id, user=request.user, **fields)
        return _join_response(outcome, status.HTTP_201_CREATED)


def _request_action(service, summary: str, description: str):
    @extend_schema(tags=["study groups"], parameters=[GROUP_ID, REQUEST_ID])
    class RequestActionApi(GroupActionApi):
        @extend_schema(
            summary=summary,
            description=description,
            request=None,
            responses={204: None, **error_responses(401), **REFUSED, **CONFLICT},
        )
        def post(self, request: Request, group_id: int, request_id: int) -> Response:
            service(group_id=group_id, request_id=request_id, user=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)

    RequestActionApi.__name__ = RequestActionApi.__qualname__ = f"Request{service.__name__}Api"
    return RequestActionApi


RequestApproveApi = _request_action(
    membership.request_approve,
    "Approve a request (owner, moderators) or accept an invitation (the invited person)",
    "Takes a seat: a full group answers 409 and the request stays pending.",
)
RequestDeclineApi = _request_action(
    membership.request_decline,
    "Decline a request (owner, moderators) or an invitation (the invited person)",
    "",
)
RequestCancelApi = _request_action(
    membership.request_cancel,
    "Take back your request, or an invitation (owner, moderators)",
    "",
)


# --- reading list --------------------------------------------------------------------------


@extend_schema(tags=["study groups"], parameters=[GROUP_ID])
class ReadingListApi(GroupListApi):
    serializer_class = s.ReadingListItemSerializer

    @extend_schema(
        summary="The reading list in order (documents you can read)",
        responses={200: s.ReadingListItemSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, group_id: int) -> Response:
        group = selectors.group_get_visible(user=request.user, group_id=group_id)
        page = self.paginate_queryset(selectors.reading_list(user=request.user, group=group))
        return self.get_paginated_response(s.ReadingListItemSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a document you can read to the end of the list (members)",
        request=s.ReadingListAddInputSerializer,
        responses={201: s.ReadingListItemSerializer, **error_responses(400), **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, group_id: int) -> Response:
        fields = _input(s.ReadingListAddInputSerializer, request)
        item = content.reading_list_add(
            group_id=group_id,
            user=request.user,
            document=fields["document_id"],
            note=fields["note"],
        )
        return Response(s.ReadingListItemSerializer(item).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["study groups"], parameters=[GROUP_ID])
class ReadingListOrderApi(GroupActionApi):
    @extend_schema(
        summary="Reorder the reading list (owner and moderators)",
        request=s.ReadingListOrderInputSerializer,
        responses={204: None, **error_responses(400), **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, group_id: int) -> Response:
        fields = _input(s.ReadingListOrderInputSerializer, request)
        content.reading_list_reorder(group_id=group_id, user=request.user, **fields)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["study groups"], parameters=[GROUP_ID, ITEM_ID])
class ReadingListItemApi(GroupActionApi):
    http_method_names = ["delete", "options"]

    @extend_schema(
        summary="Take a document off the list (who added it, owner, moderators)",
        responses={204: None, **error_responses(401), **REFUSED, **CONFLICT},
    )
    def delete(self, request: Request, group_id: int, item_id: int) -> Response:
        content.reading_list_remove(group_id=group_id, user=request.user, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- goals ---------------------------------------------------------------------------------


def _goal_response(request: Request, group_id: int, goal_id: int, http_status=200) -> Response:
    group = selectors.group_get_visible(user=request.user, group_id=group_id)
    goals = selectors.goals_with_progress(user=request.user, group=group)
    found = [goal for goal in goals if goal.goal.pk == goal_id]
    if not found:
        raise exceptions.NotFound("The group has no such goal.")
    return Response(s.GroupGoalSerializer(found[0]).data, status=http_status)


@extend_schema(tags=["study groups"], parameters=[GROUP_ID])
class GoalListApi(GroupActionApi):
    @extend_schema(
        summary="Learning goals with progress: members done, and whether you are",
        responses={200: s.GroupGoalSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, group_id: int) -> Response:
        group = selectors.group_get_visible(user=request.user, group_id=group_id)
        goals = selectors.goals_with_progress(user=request.user, group=group)
        return Response(s.GroupGoalSerializer(goals, many=True).data)

    @extend_schema(
        summary="Add a goal (owner and moderators)",
        request=s.GoalInputSerializer,
        responses={201: s.GroupGoalSerializer, **error_responses(400), **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, group_id: int) -> Response:
        fields = _input(s.GoalInputSerializer, request)
        goal = content.goal_add(group_id=group_id, user=request.user, **fields)
        return _goal_response(request, group_id, goal.pk, status.HTTP_201_CREATED)


@extend_schema(tags=["study groups"], parameters=[GROUP_ID, GOAL_ID])
class GoalDetailApi(GroupActionApi):
    http_method_names = ["patch", "delete", "options"]

    @extend_schema(
        summary="Edit a goal (owner and moderators)",
        request=s.GoalUpdateInputSerializer,
        responses={200: s.GroupGoalSerializer, **error_responses(400), **REFUSED, **CONFLICT},
    )
    def patch(self, request: Request, group_id: int, goal_id: int) -> Response:
        fields = _input(s.GoalUpdateInputSerializer, request)
        content.goal_update(group_id=group_id, goal_id=goal_id, user=request.user, **fields)
        return _goal_response(request, group_id, goal_id)

    @extend_schema(
        summary="Remove a goal and everyone's progress on it (owner and moderators)",
        responses={204: None, **error_responses(401), **REFUSED, **CONFLICT},
    )
    def delete(self, request: Request, group_id: int, goal_id: int) -> Response:
        content.goal_remove(group_id=group_id, goal_id=goal_id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["study groups"], parameters=[GROUP_ID, GOAL_ID])
class GoalProgressApi(GroupActionApi):
    @extend_schema(
        summary="Tick the goal as done for you (members)",
        description="The first time, the group's feed says so.",
        request=None,
        responses={200: s.GroupGoalSerializer, **error_responses(401), **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, group_id: int, goal_id: int) -> Response:
        content.goal_tick(group_id=group_id, goal_id=goal_id, user=request.user)
        return _goal_response(request, group_id, goal_id)

    @extend_schema(
        summary="Untick the goal (members)",
        responses={200: s.GroupGoalSerializer, **error_responses(401), **REFUSED, **CONFLICT},
    )
    def delete(self, request: Request, group_id: int, goal_id: int) -> Response:
        content.goal_untick(group_id=group_id, goal_id=goal_id, user=request.user)
        return _goal_response(request, group_id, goal_id)


# --- meetups -------------------------------------------------------------------------------


def _meetup_response(request: Request, group_id: int, meetup_id: int, http_status=200):
    group = selectors.group_get_visible(user=request.user, group_id=group_id)
    meetup = selectors.meetups_of(group=group).filter(pk=meetup_id).first()
    if meetup is None:
        raise exceptions.NotFound("The group has no such meetup.")
    return Response(s.GroupMeetupSerializer(meetup).data, status=http_status)


@extend_schema(tags=["study groups"], parameters=[GROUP_ID])
class MeetupListApi(GroupListApi):
    serializer_class = s.GroupMeetupSerializer

    @extend_schema(
        summary="Meetups by start time (cancelled ones included, with `cancelled_at`)",
        responses={200: s.GroupMeetupSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, group_id: int) -> Response:
        group = selectors.group_get_visible(user=request.user, group_id=group_id)
        page = self.paginate_queryset(selectors.meetups_of(group=group))
        return self.get_paginated_response(s.GroupMeetupSerializer(page, many=True).data)

    @extend_schema(
        summary="Schedule a meetup (owner and moderators)",
        description="Times in the future, the end after the start. Members are reminded "
        "MEETUP_REMINDER_MINUTES before it starts.",
        request=s.MeetupInputSerializer,
        responses={201: s.GroupMeetupSerializer, **error_responses(400), **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, group_id: int) -> Response:
        fields = _input(s.MeetupInputSerializer, request)
        meetup = meetups.meetup_schedule(group_id=group_id, user=request.user, **fields)
        return _meetup_response(request, group_id, meetup.pk, status.HTTP_201_CREATED)


@extend_schema(tags=["study groups"], parameters=[GROUP_ID, MEETUP_ID])
class MeetupDetailApi(GroupActionApi):
    http_method_names = ["get", "patch", "delete", "head", "options"]

    @extend_schema(
        summary="A meetup", responses={200: s.GroupMeetupSerializer, **error_responses(404)}
    )
    def get(self, request: Request, group_id: int, meetup_id: int) -> Response:
        return _meetup_response(request, group_id, meetup_id)

    @extend_schema(
        summary="Edit a meetup (owner and moderators); a new start re-arms the reminder",
        request=s.MeetupUpdateInputSerializer,
        responses={200: s.GroupMeetupSerializer, **error_responses(400), **REFUSED, **CONFLICT},
    )
    def patch(self, request: Request, group_id: int, meetup_id: int) -> Response:
        fields = _input(s.MeetupUpdateInputSerializer, request)
        meetups.meetup_update(group_id=group_id, meetup_id=meetup_id, user=request.user, **fields)
        return _meetup_response(request, group_id, meetup_id)

    @extend_schema(
        summary="Cancel a meetup (owner and moderators); it stays listed as cancelled",
        responses={204: None, **error_responses(401), **REFUSED, **CONFLICT},
    )
    def delete(self, request: Request, group_id: int, meetup_id: int) -> Response:
        meetups.meetup_cancel(group_id=group_id, meetup_id=meetup_id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- activity ------------------------------------------------------------------------------


@extend_schema(tags=["study groups"], parameters=[GROUP_ID])
class ActivityApi(GroupListApi):
    serializer_class = s.GroupActivitySerializer

    @extend_schema(
        summary="The group's feed, newest first",
        description="Joined, left, finished a goal, added or edited a listed document, "
        "asked a question, scheduled a meetup.",
        responses={200: s.GroupActivitySerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, group_id: int) -> Response:
        group = selectors.group_get_visible(user=request.user, group_id=group_id)
        page = self.paginate_queryset(selectors.activity_of(user=request.user, group=group))
        return self.get_paginated_response(s.GroupActivitySerializer(page, many=True).data)


_G = "study-groups/<int:group_id>"
ROUTES = [
    ("study-groups", GroupListCreateApi, "group-list"),
    (_G, GroupDetailApi, "group-detail"),
    (f"{_G}/join", GroupJoinApi, "group-join"),
    (f"{_G}/leave", GroupLeaveApi, "group-leave"),
    (f"{_G}/members", MemberListApi, "group-members"),
    (f"{_G}/members/<int:user_id>", MemberDetailApi, "group-member"),
    (f"{_G}/requests", RequestListApi, "group-requests"),
    (f"{_G}/requests/<int:request_id>/approve", RequestApproveApi, "group-request-approve"),
    (f"{_G}/requests/<int:request_id>/decline", RequestDeclineApi, "group-request-decline"),
    (f"{_G}/requests/<int:request_id>/cancel", RequestCancelApi, "group-request-cancel"),
    (f"{_G}/invitations", InvitationApi, "group-invitations"),
    (f"{_G}/reading-list", ReadingListApi, "group-reading-list"),
    (f"{_G}/reading-list/order", ReadingListOrderApi, "group-reading-list-order"),
    (f"{_G}/reading-list/<int:item_id>", ReadingListItemApi, "group-reading-list-item"),
    (f"{_G}/goals", GoalListApi, "group-goals"),
    (f"{_G}/goals/<int:goal_id>", GoalDetailApi, "group-goal"),
    (f"{_G}/goals/<int:goal_id>/progress", GoalProgressApi, "group-goal-progress"),
    (f"{_G}/meetups", MeetupListApi, "group-meetups"),
    (f"{_G}/meetups/<int:meetup_id>", MeetupDetailApi, "group-meetup"),
    (f"{_G}/activity", ActivityApi, "group-activity"),
]
