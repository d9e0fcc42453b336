"""Collaboration API routes, included at "api/" by config/urls.py.

Each route answers both with and without a trailing slash: the paths are registered as
the API documents them, plus the other spelling, hidden from the schema.
"""

from config.routes import api_urlpatterns

from ..attachments import api as attachments_api
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
    *attachments_api.ROUTES,
]


urlpatterns = api_urlpatterns(_ROUTES)
