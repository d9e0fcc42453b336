"""Proposals: branches of a document reviewed and merged like pull requests; suggestions."""
