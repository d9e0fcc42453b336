"""Document pages. Included at "" in config/urls.py under the "collaboration" namespace."""

from django.urls import include, path

from . import views, views_history, views_search

app_name = "collaboration"
urlpatterns = [
    path("", views.home, name="home"),
    path("docs/<slug:slug>/", views.document, name="document"),
    path("docs/<slug:slug>/edit/", views.edit, name="edit"),
    path("docs/<slug:slug>/history/", views_history.history_list, name="history"),
    path("docs/<slug:slug>/history/<int:revision>/", views_history.revision, name="revision"),
    path(
        "docs/<slug:slug>/history/<int:revision>/restore",
        views_history.restore,
        name="restore",
    ),
    path("docs/<slug:slug>/diff/", views_history.diff, name="diff"),
    path("docs/<slug:slug>/authorship/", views_history.authorship, name="authorship"),
    path("sw.js", views.service_worker, name="service-worker"),
    path("tags/<slug:slug>/", views.tag, name="tag"),
    path("search/", views_search.search, name="search"),
    path("", include("collaboration.attachments.urls")),
]
