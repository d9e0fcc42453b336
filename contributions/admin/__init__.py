"""Admin for moderators, one module per concern (each imported here)."""

from . import checks  # noqa: F401, I001
from . import git  # noqa: F401
from . import proposals  # noqa: F401
