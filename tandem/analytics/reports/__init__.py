"""The sales reports: each a selector (actor, filters) → a small dataclass, computed with SQL aggregates."""
