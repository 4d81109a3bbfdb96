from __future__ import annotations

import io

import pytest

from tandem.imports import services
from tandem.imports.models import ImportJob


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


@pytest.fixture
def run_import(db):
    """Upload bytes as a file, configure it, and run it (or its dry run) in this process."""

    def run(
        actor,
        content: bytes,
        *,
        filename: str = "clients.csv",
        dry_run: bool = False,
        on_duplicate: str | None = None,
        region: str | None = "BG",
        mapping: list[str | None] | None = None,
    ) -> ImportJob:
        job = services.import_upload(actor=actor, stream=io.BytesIO(content), filename=filename)
        job = services.import_configure(
            actor=actor, job=job, region=region, on_duplicate=on_duplicate, mapping=mapping
        )
        if dry_run:
            services.import_preview(actor=actor, job=job, enqueue=False)
            services.preview_execute(job.pk)
        else:
            services.import_start(actor=actor, job=job, enqueue=False)
            services.run_execute(job.pk)
        job.refresh_from_db()
        return job

    return run
