"""Contributions pages (proposals, history, Git), included at "" by config/urls.py in the
"contributions" namespace. Each concern's views module lists its PAGES."""

from .views import answer_proposals as answer_proposal_views
from .views import checks as check_views
from .views import git as git_views
from .views import proposals as proposal_views

app_name = "contributions"
urlpatterns: list = []
urlpatterns += git_views.PAGES
urlpatterns += check_views.PAGES
urlpatterns += proposal_views.PAGES
urlpatterns += answer_proposal_views.PAGES
