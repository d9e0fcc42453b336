"""Registrations of this concern with the platform's seams; imported by CommunityConfig.ready()."""
