"""The PostgreSQL document table, for per-record probes in queries (see `backends.matching_q`).

Written only by `backends` with SQL; SQLite keeps its documents in the FTS5 table `search_fts`.
"""

from django.db import models


class SearchDocument(models.Model):
    id = models.BigIntegerField(primary_key=True)  # (object id << KIND_BITS) | kind
    body = models.TextField()

    class Meta:
        managed = False
        db_table = "search_document"

    def __str__(self) -> str:
        return f"search document {self.id}"
