"""API URL patterns from a list of routes: every app's API answers each route with and
without a trailing slash (clients differ), the second spelling kept out of the schema."""

from django.urls import path


def _other_spelling(route: str) -> str:
    return route[:-1] if route.endswith("/") else f"{route}/"


def api_urlpatterns(routes: list[tuple]) -> list:
    """`routes`: (route, DRF view class, name) as the API documents them."""
    return [path(route, view.as_view(), name=name) for route, view, name in routes] + [
        # schema=None keeps the second spelling out of /api/schema/.
        path(_other_spelling(route), view.as_view(schema=None))
        for route, view, _name in routes
    ]
