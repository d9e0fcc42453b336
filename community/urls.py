"""Community pages, included at "" by config/urls.py in the "community" namespace."""

from .views import amas, notifications, questions, rooms, study_groups, users

app_name = "community"
urlpatterns = [*notifications.PAGES, *amas.PAGES, *questions.PAGES, *users.PAGES, *rooms.PAGES]
urlpatterns += study_groups.PAGES
