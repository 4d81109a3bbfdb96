"""`tandem rollups rebuild`: recompute the reports' rollup tables from the facts."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from tandem.analytics.rollups import activity_rollups_analyze, activity_rollups_rebuild, rollup_zone
from tandem.analytics.stage_rollups import stage_rollups_analyze, stage_rollups_rebuild


class Command(BaseCommand):
    help = (
        "Rollups: tandem rollups rebuild — recount done activities per assignee, kind and day from the "
        "activities, and the funnel's stage entries, exits and deal moves per day from the stage changes "
        "(after bulk loads, restoring a backup or changing TANDEM_TIME_ZONE)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["rebuild"])

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        rows = activity_rollups_rebuild()
        activity_rollups_analyze()
        self.stdout.write(
            f"activity days: {rows} rows ({rollup_zone().key}) in {time.perf_counter() - started:.1f}s"
        )
        started = time.perf_counter()
        counts = stage_rollups_rebuild()
        stage_rollups_analyze()
        self.stdout.write(
            f"stage days: {counts['StageDay']} rows, stage exit days: {counts['StageExitDay']} rows, "
            f"deal move days: {counts['DealMoveDay']} rows ({rollup_zone().key}) "
            f"in {time.perf_counter() - started:.1f}s"
        )
