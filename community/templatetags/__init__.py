"""Template tags of the community pages."""
