"""Registrations with the platform's seams, one module per concern (each imported here)."""

from . import checks  # noqa: F401, I001
from . import git  # noqa: F401
from . import proposals  # noqa: F401
from . import proposal_panels  # noqa: F401
from . import suggestions  # noqa: F401
from . import contribution_stats  # noqa: F401
from . import demo  # noqa: F401
from . import answer_proposals  # noqa: F401
from . import assist  # noqa: F401
