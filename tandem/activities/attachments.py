"""Files on activities: what may be attached, and storing it through Django's storage.

Only documents, images and audio are accepted, judged by the file name's extension *and* by the
first bytes of the content: a program or script is refused whatever it is called. The content type
stored (and later sent with downloads) comes from our own table, never from the uploading browser.
Files live under MEDIA_ROOT (`var/media/`) and are only ever served through an authorizing view.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.activities.models import Activity, Attachment
from tandem.activities.selectors import activity_can_change
from tandem.core.errors import PermissionDenied, ValidationError

MAX_FILES_PER_UPLOAD = 10
SNIFF_BYTES = 2048

_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # legacy Office (doc, xls, ppt, msg)
_ZIP = (b"PK\x03\x04",)  # OOXML and OpenDocument containers

# extension -> (content type, accepted leading bytes or None when the format has no fixed signature)
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    # documents
    "pdf": ("application/pdf", (b"%PDF-",)),
    "doc": ("application/msword", _OLE),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xls": ("application/vnd.ms-excel", _OLE),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "ppt": ("application/vnd.ms-powerpoint", _OLE),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    "odt": ("application/vnd.oasis.opendocument.text", _ZIP),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", _ZIP),
    "odp": ("application/vnd.oasis.opendocument.presentation", _ZIP),
    "rtf": ("application/rtf", (b"{\\rtf",)),
    "txt": ("text/plain", None),
    "csv": ("text/csv", None),
    "eml": ("message/rfc822", None),
    "msg": ("application/vnd.ms-outlook", _OLE),
    # images (no SVG: it can carry scripts)
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", (b"RIFF",)),
    "bmp": ("image/bmp", (b"BM",)),
    "tif": ("image/tiff", (b"II*\x00", b"MM\x00*")),
    "tiff": ("image/tiff", (b"II*\x00", b"MM\x00*")),
    "heic": ("image/heic", None),
    # audio: call recordings come in many encodings, so only the program check applies
    "mp3": ("audio/mpeg", None),
    "m4a": ("audio/mp4", None),
    "aac": ("audio/aac", None),
    "wav": ("audio/wav", (b"RIFF",)),
    "ogg": ("audio/ogg", (b"OggS",)),
    "oga": ("audio/ogg", (b"OggS",)),
    "opus": ("audio/ogg", (b"OggS",)),
    "flac": ("audio/flac", (b"fLaC",)),
    "amr": ("audio/amr", (b"#!AMR",)),
    "weba": ("audio/webm", (b"\x1a\x45\xdf\xa3",)),
}

# Named only to give a clearer message: anything not in ALLOWED_TYPES is refused anyway.
PROGRAM_EXTENSIONS = frozenset(
    "exe dll com scr msi msp bat cmd ps1 psm1 vbs vbe js jse mjs wsf wsh hta cpl jar apk app dmg pkg "
    "deb rpm sh bash zsh csh ksh fish py pyc pyw pl rb php phtml cgi lnk reg bin elf so dylib run out "
    "html htm xhtml svg".split()
)

# Leading bytes of programs (Windows PE/DOS, Linux ELF, macOS Mach-O, universal binaries, Java).
PROGRAM_SIGNATURES = (
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)


@dataclass(frozen=True)
class CheckedFile:
    file: UploadedFile
    name: str
    content_type: str
    size: int


def _clean_name(raw: str) -> str:
    """The name people see: no folders, no control characters, at most 255 characters."""
    name = os.path.basename(raw.replace("\\", "/")).strip()
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[: 254 - len(extension)]}.{extension}" if dot and len(extension) < 20 else name[:255]
    return name


def _extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def looks_like_program(head: bytes) -> bool:
    """A program or script by its first bytes: an executable header or a `#!` interpreter line."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if head.startswith(PROGRAM_SIGNATURES):
        return True
    # DOS/Windows executables start with "MZ" and a binary header; a text file may start with "MZ".
    if head.startswith(b"MZ") and b"\x00" in head[:512]:
        return True
    return head.startswith(b"#!") and not head.startswith(b"#!AMR")


def _read_head(file: UploadedFile) -> bytes:
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    return head if isinstance(head, bytes) else head.encode()


def _matches(extension: str, head: bytes, signatures: tuple[bytes, ...]) -> bool:
    if not head.startswith(signatures):
        return False
    if extension == "webp":
        return head[8:12] == b"WEBP"
    if extension == "wav":
        return head[8:12] == b"WAVE"
    return True


def attachment_check(file: UploadedFile) -> CheckedFile:
    """Accept `file` as an attachment or raise ValidationError (code: empty, too_large, program,
    forbidden_type, content_mismatch). Writes nothing."""
    name = _clean_name(file.name or "")
    limit = settings.TANDEM_MAX_UPLOAD_BYTES
    size = file.size or 0
    extension = _extension(name)
    shown = name or _("the file")
    if extension in PROGRAM_EXTENSIONS:
        raise ValidationError(
            _("%(name)s: programs and scripts cannot be attached.") % {"name": shown}, code="program"
        )
    if extension not in ALLOWED_TYPES:
        raise ValidationError(
            _("%(name)s: this type of file cannot be attached (documents, images and audio only).")
            % {"name": shown},
            code="forbidden_type",
        )
    if size <= 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": shown}, code="empty")
    if size > limit:
        raise ValidationError(
            _("%(name)s is too large (%(size)s); the limit is %(limit)s.")
            % {"name": shown, "size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    head = _read_head(file)
    if looks_like_program(head):
        raise ValidationError(
            _("%(name)s: programs and scripts cannot be attached.") % {"name": shown}, code="program"
        )
    content_type, signatures = ALLOWED_TYPES[extension]
    if signatures is not None and not _matches(extension, head, signatures):
        raise ValidationError(
            _("%(name)s: the content is not what its name says (.%(extension)s).")
            % {"name": shown, "extension": extension},
            code="content_mismatch",
        )
    return CheckedFile(file=file, name=name, content_type=content_type, size=size)


def attachments_check(files: Sequence[UploadedFile]) -> list[CheckedFile]:
    """Check every file; one ValidationError listing each refused file (nothing written)."""
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise ValidationError(
            _("Attach at most %(count)d files at a time.") % {"count": MAX_FILES_PER_UPLOAD},
            code="too_many",
        )
    checked, errors = [], []
    for file in files:
        try:
            checked.append(attachment_check(file))
        except ValidationError as error:
            errors.extend(error.error_list)
    if errors:
        raise ValidationError(errors)
    return checked


def _require_change(actor: User | None, activity: Activity) -> None:
    if activity.deleted_at is not None:
        raise ValidationError(_("This activity is in the trash."), code="activity_trashed")
    if actor is not None and not activity_can_change(actor, activity):
        raise PermissionDenied(_("You are not allowed to change this activity."))


@transaction.atomic
def attachments_add(
    *, actor: User | None, activity: Activity, files: Sequence[UploadedFile]
) -> list[Attachment]:
    """Store `files` on `activity`: all of them or, when any is refused or a write fails, none
    (rows roll back and the files already written are deleted). Call it last in a transaction."""
    _require_change(actor, activity)
    checked = attachments_check(files)
    stored: list[Attachment] = []
    try:
        for item in checked:
            attachment = Attachment(
                activity=activity,
                name=item.name,
                content_type=item.content_type,
                size=item.size,
                uploaded_by=actor,
            )
            attachment.file.save(item.name, item.file, save=False)
            stored.append(attachment)
            attachment.save()
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return stored


def attachment_add(*, actor: User | None, activity: Activity, file: UploadedFile) -> Attachment:
    """Check and store one file on `activity` (see `attachment_check` for what is refused)."""
    return attachments_add(actor=actor, activity=activity, files=[file])[0]


@transaction.atomic
def attachment_remove(*, actor: User | None, attachment: Attachment) -> None:
    """Delete an attachment: the row now, the stored file once the transaction commits."""
    _require_change(actor, attachment.activity)
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
