"""Typed refusals of the deal services; views and the API map the codes to messages and forms."""

from __future__ import annotations

from tandem.core.errors import ApplicationError, Conflict


class MissingFields(ApplicationError):
    """The target stage requires fields the deal does not have yet; `fields` lists them."""

    code = "missing_fields"

    def __init__(self, message: str, *, fields: list[str]):
        super().__init__(message, extra={"fields": fields})
        self.fields = fields


class StaleDeal(Conflict):
    """Someone else moved the deal first; `current_stage` is where it is now."""

    code = "stale"

    def __init__(self, message: str, *, current_stage_id: int):
        super().__init__(message, extra={"current_stage": current_stage_id})
        self.current_stage_id = current_stage_id
