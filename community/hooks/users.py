"""Registrations of the people concern: the community panel on profile pages (reputation
over time, badges, questions, answers and comments); imported once by
CommunityConfig.ready()."""

from config import panels

from ..views.users import profile_panel

panels.register("profile", "community.users", profile_panel)
