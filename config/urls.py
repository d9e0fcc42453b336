"""URL map: pages, the REST API under /api/, admin, probes and metrics."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from collaboration import views as collaboration_views

from . import views
from .api import api_not_found

urlpatterns = [
    path("", collaboration_views.home, name="home"),
    path("", include("collaboration.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("community.urls")),
    path("", include("contributions.urls")),
    path("admin/", admin.site.urls),
    path("api/auth/", include("accounts.api.urls")),
    path("api/", include("collaboration.api.urls")),
    path("api/", include("community.api.urls")),
    path("api/", include("contributions.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # Whatever else is under /api/ (an unknown path, an id that is not a number) is a
    # JSON 404, also with DEBUG on. Keep it after every other api/ route.
    re_path(r"^api/", api_not_found),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("", include("django_prometheus.urls")),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
