"""Benchmarks of Tandem at a million records: `bench.generate` fills a database, `bench.run` measures it.

Not part of `make test`; see bench/README.md.
"""

from __future__ import annotations

import os


def setup_django() -> None:
    """Configure Django from the environment as a web process would (DATABASE_URL, TANDEM_DATA_DIR)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings")
    import django

    django.setup()
