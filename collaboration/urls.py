"""Document pages. Included at "" in config/urls.py under the "collaboration" namespace."""

from django.urls import path

from . import views

app_name = "collaboration"
urlpatterns = [
    path("", views.home, name="home"),
    path("docs/<slug:slug>/", views.document, name="document"),
    path("docs/<slug:slug>/edit/", views.edit, name="edit"),
    path("sw.js", views.service_worker, name="service-worker"),
    path("tags/<slug:slug>/", views.tag, name="tag"),
]
