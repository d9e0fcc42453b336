"""Community API routes, included at "api/" by config/urls.py.

Each concern's module lists its ROUTES (route, view class, name). Like the collaboration
API, each route answers with and without a trailing slash; the second spelling is kept
out of the schema.
"""

from django.urls import path

from . import amas, comments, flags, notifications, questions, study_groups, users, votes

app_name = "community_api"

_ROUTES = [
    *notifications.ROUTES,
    *comments.ROUTES,
    *questions.ROUTES,
    *votes.ROUTES,
    *flags.ROUTES,
    *users.ROUTES,
    *amas.ROUTES,
    *study_groups.ROUTES,
]


def _other_spelling(route: str) -> str:
    return route[:-1] if route.endswith("/") else f"{route}/"


urlpatterns = [path(route, view.as_view(), name=name) for route, view, name in _ROUTES] + [
    path(_other_spelling(route), view.as_view(schema=None)) for route, view, name in _ROUTES
]
