"""Registrations of this concern with the platform's seams (post-commit hook, topics,
page panels); imported once by CommunityConfig.ready()."""
