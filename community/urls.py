"""Community pages, included at "" by config/urls.py in the "community" namespace."""

from .views import questions, users

app_name = "community"
urlpatterns = [*questions.PAGES, *users.PAGES]
