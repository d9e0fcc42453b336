"""Attachment pages, included at "" by collaboration/urls.py (namespace
"collaboration:attachments")."""

from django.urls import path

from . import views

app_name = "attachments"
urlpatterns = [
    path("docs/<slug:slug>/files/", views.attachment_upload, name="upload"),
    # Before the file route: stored names always have an extension, so never clash.
    path(
        "docs/<slug:slug>/files/<int:attachment_id>/delete",
        views.attachment_delete,
        name="delete",
    ),
    path(
        "docs/<slug:slug>/files/<int:attachment_id>/thumbnail",
        views.attachment_thumbnail,
        name="thumbnail",
    ),
    path(
        "docs/<slug:slug>/files/<int:attachment_id>/<str:name>",
        views.attachment_file,
        name="file",
    ),
]
