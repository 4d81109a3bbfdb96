"""Attachments: which files are accepted (extension and content), the size limit, all-or-nothing
storing, who may attach, and removing a file."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from tandem.activities.attachments import (
    MAX_FILES_PER_UPLOAD,
    attachment_add,
    attachment_check,
    attachment_remove,
    attachments_add,
    looks_like_program,
)
from tandem.activities.models import ActivityType, Attachment
from tandem.activities.services import activity_create
from tandem.core.errors import PermissionDenied, ValidationError

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def activity(rep_a, make_company):
    return activity_create(
        actor=rep_a,
        type=ActivityType.objects.get(kind="call"),
        subject="Call",
        company=make_company(rep_a, "Acme"),
        done_at=timezone.now(),
    )


@pytest.mark.parametrize(
    "name,content,content_type",
    [
        ("offer.pdf", PDF, "application/pdf"),
        ("OFFER.PDF", PDF, "application/pdf"),
        (
            "contract.docx",
            b"PK\x03\x04\x14\x00\x06\x00",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("prices.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "application/vnd.ms-excel"),
        ("notes.txt", b"MZ Logistics called back at 10.\n", "text/plain"),
        ("list.csv", b"name,qty\nprinter,20\n", "text/csv"),
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        ("scan.png", PNG, "image/png"),
        ("shot.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        ("call.mp3", b"ID3\x03\x00\x00\x00", "audio/mpeg"),
        ("call.m4a", b"\x00\x00\x00\x20ftypM4A ", "audio/mp4"),
        ("call.wav", b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
        ("voice.ogg", b"OggS\x00\x02", "audio/ogg"),
        ("voice.amr", b"#!AMR\n\x3c", "audio/amr"),
    ],
)
def test_documents_images_and_audio_are_accepted_with_our_own_content_type(name, content, content_type):
    checked = attachment_check(upload(name, content, "text/html"))  # the browser's claim is ignored

    assert (checked.name, checked.content_type, checked.size) == (name, content_type, len(content))


@pytest.mark.parametrize(
    "name,content,code",
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00", "program"),
        ("run.sh", b"echo hi", "program"),
        ("macro.js", b"alert(1)", "program"),
        ("page.html", b"<html>", "program"),
        ("logo.svg", b"<svg onload=alert(1)>", "program"),
        ("invoice.pdf.exe", PDF, "program"),
        ("offer.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00", "program"),
        ("report.docx", b"\x7fELF\x02\x01\x01\x00", "program"),
        ("readme.txt", b"#!/usr/bin/env python\nprint(1)\n", "program"),
        ("readme.txt", b"\xef\xbb\xbf#!/bin/sh\n", "program"),
        ("photo.jpg", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01", "program"),
        ("archive.zip", b"PK\x03\x04", "forbidden_type"),
        ("no-extension", b"hello", "forbidden_type"),
        (".pdf", PDF, "forbidden_type"),
        ("offer.pdf", b"<html>not a pdf</html>", "content_mismatch"),
        ("photo.png", b"\xff\xd8\xff\xe0", "content_mismatch"),
        ("audio.wav", b"RIFF\x24\x00\x00\x00AVI ", "content_mismatch"),
    ],
)
def test_programs_scripts_and_impostors_are_refused(name, content, code):
    with pytest.raises(ValidationError) as refused:
        attachment_check(upload(name, content))

    assert refused.value.code == code


def test_looks_like_program_tells_a_dos_header_from_text_starting_with_mz():
    assert looks_like_program(b"MZ\x90\x00\x03\x00\x00\x00") is True
    assert looks_like_program(b"MZ Logistics, invoice 12") is False
    assert looks_like_program(b"#!AMR\n") is False


@override_settings(TANDEM_MAX_UPLOAD_BYTES=2048)
def test_the_size_limit_comes_from_the_setting():
    attachment_check(upload("ok.pdf", PDF + b"0" * (2048 - len(PDF))))

    with pytest.raises(ValidationError) as refused:
        attachment_check(upload("big.pdf", PDF + b"0" * 2048))

    assert refused.value.code == "too_large"
    assert refused.value.messages == ["big.pdf is too large (2.0\xa0KB); the limit is 2.0\xa0KB."]


def test_the_default_limit_is_25_megabytes(settings):
    assert settings.TANDEM_MAX_UPLOAD_BYTES == 25 * 1024 * 1024


def test_a_name_loses_folders_and_control_characters():
    checked = attachment_check(upload("..\\..\\evil/dir/of\x00fer\x1b.pdf", PDF))

    assert checked.name == "offer.pdf"


def test_attachments_are_stored_under_the_activity_with_who_uploaded_them(rep_a, activity):
    stored = attachments_add(
        actor=rep_a, activity=activity, files=[upload("offer.pdf", PDF), upload("scan.png", PNG)]
    )

    assert [(a.name, a.content_type, a.size, a.uploaded_by) for a in stored] == [
        ("offer.pdf", "application/pdf", len(PDF), rep_a),
        ("scan.png", "image/png", len(PNG), rep_a),
    ]
    now = timezone.now()
    assert stored[0].file.name == f"attachments/{now:%Y/%m}/{activity.pk}/offer.pdf"
    with default_storage.open(stored[0].file.name) as handle:
        assert handle.read() == PDF


def _stored(folder: str = "attachments") -> set[str]:
    if not default_storage.exists(folder):
        return set()
    folders, files = default_storage.listdir(folder)
    found = {f"{folder}/{name}" for name in files}
    for name in folders:
        found |= _stored(f"{folder}/{name}")
    return found


def test_one_refused_file_stores_none_of_them(rep_a, activity):
    before = _stored()

    with pytest.raises(ValidationError) as refused:
        attachments_add(
            actor=rep_a,
            activity=activity,
            files=[upload("offer.pdf", PDF), upload("tool.exe", b"MZ\x90\x00"), upload("x.zip", b"PK")],
        )

    assert refused.value.messages == [
        "tool.exe: programs and scripts cannot be attached.",
        "x.zip: this type of file cannot be attached (documents, images and audio only).",
    ]
    assert Attachment.objects.count() == 0
    assert _stored() == before


def test_a_failing_write_removes_the_files_already_written(rep_a, activity, monkeypatch):
    saved: list[str] = []
    original = Attachment.save

    def save_then_fail(self, *args, **kwargs):
        saved.append(self.file.name)
        if len(saved) == 2:
            raise OSError("disk full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Attachment, "save", save_then_fail)

    with pytest.raises(OSError):
        attachments_add(actor=rep_a, activity=activity, files=[upload("a.pdf", PDF), upload("b.pdf", PDF)])

    assert Attachment.objects.count() == 0
    assert [default_storage.exists(name) for name in saved] == [False, False]


def test_too_many_files_at_once_are_refused(rep_a, activity):
    files = [upload(f"f{index}.pdf", PDF) for index in range(MAX_FILES_PER_UPLOAD + 1)]

    with pytest.raises(ValidationError) as refused:
        attachments_add(actor=rep_a, activity=activity, files=files)

    assert refused.value.code == "too_many"
    assert Attachment.objects.count() == 0


def test_only_those_who_may_change_the_activity_attach(rep_b, readonly, activity):
    for user in (rep_b, readonly):
        with pytest.raises(PermissionDenied):
            attachment_add(actor=user, activity=activity, file=upload("offer.pdf", PDF))

    assert Attachment.objects.count() == 0


def test_removing_an_attachment_deletes_the_file_after_commit(
    rep_a, activity, django_capture_on_commit_callbacks
):
    attachment = attachment_add(actor=rep_a, activity=activity, file=upload("offer.pdf", PDF))
    name = attachment.file.name

    with django_capture_on_commit_callbacks(execute=True):
        attachment_remove(actor=rep_a, attachment=attachment)

    assert Attachment.objects.count() == 0
    assert not default_storage.exists(name)


def test_a_trashed_activity_takes_no_attachments(rep_a, activity):
    from tandem.activities.services import activity_trash

    activity_trash(actor=rep_a, activity=activity)
    activity.refresh_from_db()

    with pytest.raises(ValidationError) as refused:
        attachment_add(actor=rep_a, activity=activity, file=upload("offer.pdf", PDF))

    assert refused.value.code == "activity_trashed"
