"""The growth team's feature group definitions (plain data: reviewed like code, used by the stack)."""

from __future__ import annotations

from mlplat.components import Feature, FeatureGroupArgs, Ttl


def customer_activity(owner: str) -> FeatureGroupArgs:
    """Per-customer activity aggregates served online to the propensity endpoint (personal data: kept 30 days)."""
    return FeatureGroupArgs(
        name="customer-activity",
        record_identifier="customer_id",
        event_time="event_time",
        owner=owner,
        data_classification="confidential",
        pii=True,
        ttl=Ttl(unit="Days", value=30),
        features=(
            Feature(name="customer_id", type="String"),
            Feature(name="event_time", type="Fractional"),
            Feature(name="sessions_7d", type="Integral"),
            Feature(name="basket_value_30d", type="Fractional"),
        ),
    )
