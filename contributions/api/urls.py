"""Contributions API routes, included at "api/" by config/urls.py. Each concern's module
lists its ROUTES (route, view class, name)."""

from config.routes import api_urlpatterns

from . import checks, git

app_name = "contributions_api"

_ROUTES: list = []
_ROUTES += git.ROUTES
_ROUTES += checks.ROUTES

urlpatterns = api_urlpatterns(_ROUTES)
