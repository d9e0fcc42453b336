"""Registrations of the votes concern: none. Votes reach pages through the API
(`community.api.votes`) and the profile panel (`hooks.users`)."""
