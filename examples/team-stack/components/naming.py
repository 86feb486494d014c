"""How the growth team names what it deploys: `<team>-<env>-<purpose>`."""

from __future__ import annotations

from dataclasses import dataclass

TEAM = "growth"


@dataclass(frozen=True)
class TeamNaming:
    environment: str
    team: str = TEAM

    @property
    def prefix(self) -> str:
        """Prefix of AWS names (buckets, endpoints, feature groups): `growth-dev-`."""
        return f"{self.team}-{self.environment}-"

    def alias_prefix(self) -> str:
        """KMS alias prefix: `alias/growth-dev`."""
        return f"alias/{self.team}-{self.environment}"

    def tags(self, owner: str, cost_center: str) -> dict[str, str]:
        """The team's tags, merged into mlplat's required tags on every resource of the stack."""
        return {"team": self.team, "owner": owner, "cost_center": cost_center}
