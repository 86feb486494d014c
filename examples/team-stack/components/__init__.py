"""The growth team's own building blocks. The name `components` is this project's: mlplat's
components are `mlplat.components`, so the two never shadow each other."""

from .features import customer_activity
from .naming import TeamNaming

__all__ = ["TeamNaming", "customer_activity"]
