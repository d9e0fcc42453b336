"""Registrations with the platform's seams, one module per concern (each imported here)."""

from . import checks  # noqa: F401, I001
from . import git  # noqa: F401
