"""`tandem export`: everything, or what one user sees; and the week-old files going away."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from python_calamine import CalamineWorkbook

from tandem import cli
from tandem.exports.models import ExportJob
from tandem.exports.services import export_dir, export_jobs_cleanup
from tandem.exports.tasks import export_files_cleanup_daily

pytestmark = pytest.mark.django_db


def _first_names(path) -> list[str]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Contacts").to_python()
    return [row[0] for row in rows]


def test_the_command_exports_every_contact_to_xlsx(rep_a, rep_b, make_contact, tmp_path):
    make_contact(rep_a, "Anna", "A")
    make_contact(rep_b, "Boris", "B")
    output = tmp_path / "contacts.xlsx"
    out = io.StringIO()

    call_command("export", "contacts", "--format", "xlsx", "--output", str(output), stdout=out)

    assert out.getvalue() == f"2 contacts exported to {output}.\n"
    assert _first_names(output) == ["First name", "Anna", "Boris"]


def test_as_a_user_the_command_exports_what_that_user_sees_in_their_language(
    rep_a, rep_b, make_contact, tmp_path
):
    make_contact(rep_a, "Anna", "A")
    make_contact(rep_a, "Vera", "V")
    make_contact(rep_b, "Boris", "B")
    rep_a.language = "bg"
    rep_a.save(update_fields=["language"])
    output = tmp_path / "mine.csv"
    out = io.StringIO()

    call_command(
        "export", "contacts", "--as", rep_a.email, "--search", "Vera", "--output", str(output), stdout=out
    )

    assert out.getvalue() == f"1 contacts exported to {output}.\n"
    lines = output.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Име,") and lines[1].startswith("Vera,")


def test_the_tandem_script_hands_export_to_the_command(rep_a, make_contact, tmp_path, capsys):
    make_contact(rep_a, "Anna", "A")
    output = tmp_path / "c.csv"

    cli.main(["tandem", "export", "contacts", "--output", str(output)])

    assert capsys.readouterr().out == f"1 contacts exported to {output}.\n"
    assert output.read_text(encoding="utf-8-sig").splitlines()[1].startswith("Anna,")


def test_the_command_refuses_unknown_users_and_impossible_options(tmp_path):
    with pytest.raises(CommandError, match="No active user"):
        call_command("export", "contacts", "--as", "nobody@example.com", "--output", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="--search is not available"):
        call_command("export", "activities", "--search", "x", "--output", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="No such directory"):
        call_command("export", "deals", "--output", str(tmp_path / "missing" / "x.csv"))


def test_jobs_older_than_a_week_are_deleted_with_their_files(rep_a):
    directory = export_dir()
    directory.mkdir(parents=True)
    now = timezone.now()
    old = ExportJob.objects.create(
        owner=rep_a, entity="contacts", file_format="csv", status="done", file_name="1-old.csv",
        created_at=now - datetime.timedelta(days=8),
    )  # fmt: skip
    fresh = ExportJob.objects.create(
        owner=rep_a, entity="contacts", file_format="csv", status="done", file_name="2-new.csv",
        created_at=now - datetime.timedelta(days=6),
    )  # fmt: skip
    (directory / old.file_name).write_text("old")
    (directory / fresh.file_name).write_text("new")

    assert export_jobs_cleanup(now=now) == 1

    assert list(ExportJob.objects.all()) == [fresh]
    assert sorted(path.name for path in directory.iterdir()) == ["2-new.csv"]
    export_files_cleanup_daily()  # the periodic task runs the same cleanup
    assert ExportJob.objects.count() == 1
