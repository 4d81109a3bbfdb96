"""Request body parsers that enforce the same size limit as Django's own request.body."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.parsers import JSONParser, MultiPartParser

from tandem.api.errors import RequestTooLarge


class LimitedJSONParser(JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE; larger ones get 413 without being read whole.

    DRF parsers read the raw stream, which bypasses Django's check on `request.body`.
    """

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None:
            request = (parser_context or {}).get("request")
            declared = request.META.get("CONTENT_LENGTH") if request is not None else None
            try:
                declared_length = int(declared or 0)
            except ValueError:
                declared_length = 0
            if declared_length > limit:
                raise RequestTooLarge()
            body = stream.read(limit + 1)
            if len(body) > limit:
                raise RequestTooLarge()
            stream = io.BytesIO(body)
        return super().parse(stream, media_type, parser_context)


# Room for the multipart boundaries and headers around the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class LimitedMultiPartParser(MultiPartParser):
    """File uploads: a body declared larger than the upload limit is refused (413) before it is read."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        try:
            declared_length = int(declared or 0)
        except ValueError:
            declared_length = 0
        if declared_length > settings.TANDEM_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES:
            raise RequestTooLarge()
        return super().parse(stream, media_type, parser_context)
