"""Contributions API routes, included at "api/" by config/urls.py. Each concern's module
lists its ROUTES (route, view class, name)."""

from config.routes import api_urlpatterns

from . import assist, checks, contribution_stats, git, proposals, suggestions

app_name = "contributions_api"

_ROUTES: list = []
_ROUTES += git.ROUTES
_ROUTES += checks.ROUTES
_ROUTES += proposals.ROUTES
_ROUTES += suggestions.ROUTES
_ROUTES += contribution_stats.ROUTES
_ROUTES += assist.ROUTES

urlpatterns = api_urlpatterns(_ROUTES)
