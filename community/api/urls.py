"""Community API routes, included at "api/" by config/urls.py.

Each concern's module lists its ROUTES (route, view class, name). Like the collaboration
API, each route answers with and without a trailing slash; the second spelling is kept
out of the schema.
"""

from config.routes import api_urlpatterns

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


urlpatterns = api_urlpatterns(_ROUTES)
