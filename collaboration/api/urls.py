"""Collaboration API routes, included at "api/" by config/urls.py.

Each route answers both with and without a trailing slash: the paths are registered as
the API documents them, plus the other spelling, hidden from the schema.
"""

from django.urls import path

from . import recommendations, rooms, search, views

app_name = "collaboration_api"

_ROUTES = [
    ("documents/", views.DocumentListCreateApi, "document-list"),
    ("documents/<str:ref>/", views.DocumentDetailApi, "document-detail"),
    ("documents/<str:ref>/members/", views.DocumentMemberListApi, "document-members"),
    (
        "documents/<str:ref>/members/<str:username>/",
        views.DocumentMemberDetailApi,
        "document-member",
    ),
    ("documents/<str:ref>/operations", views.DocumentOperationCreateApi, "document-operations"),
    ("documents/<str:ref>/revisions", views.DocumentRevisionListApi, "document-revisions"),
    (
        "documents/<str:ref>/revisions/<int:revision>",
        views.DocumentRevisionDetailApi,
        "document-revision",
    ),
    ("documents/<str:ref>/diff", views.DocumentDiffApi, "document-diff"),
    ("documents/<str:ref>/restore", views.DocumentRestoreApi, "document-restore"),
    ("documents/<str:ref>/authorship", views.DocumentAuthorshipApi, "document-authorship"),
    ("documents/<str:ref>/chat", views.DocumentChatListApi, "document-chat"),
    ("sessions", views.SessionListCreateApi, "session-list"),
    ("sessions/<int:session_id>/end", views.SessionEndApi, "session-end"),
    ("tags/", views.TagListApi, "tag-list"),
    ("search", search.SearchApi, "search"),
    ("recommendations", recommendations.RecommendationListApi, "recommendations"),
    *rooms.ROUTES,
]


def _other_spelling(route: str) -> str:
    return route[:-1] if route.endswith("/") else f"{route}/"


urlpatterns = [path(route, view.as_view(), name=name) for route, view, name in _ROUTES] + [
    # schema=None keeps the second spelling out of /api/schema/.
    path(_other_spelling(route), view.as_view(schema=None))
    for route, view, name in _ROUTES
]
