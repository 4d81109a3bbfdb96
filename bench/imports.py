"""Import throughput: a generated client file imported against the bench database, end to end.

    python -m bench.imports [--rows 100000] [--format xlsx|csv] [--keep]

Writes a file like the ones companies have (Bulgarian headers, phones typed every which way, a tenth
of the rows about people already in the database, in-file duplicates, bad phones, nameless rows),
then runs `tandem import contacts FILE --json` in a child process — the dry run, then the import —
and reports rows per second and the child's peak RSS (the budget: 5,000 rows/s, 500 MB). The import
is undone at the end (timed too) unless --keep, so the bench database stays as generated.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS_PER_S_BUDGET = 5000
RSS_BUDGET_MB = 500
HEADERS = ["Фирма", "ЕИК", "Контактно лице", "Длъжност", "Телефон", "Email", "Адрес", "Бележки"]
FIRST = ["Иван", "Мария", "Георги", "Елена", "Петър", "Анна", "Димитър", "Светлана", "Николай", "Ольга"]
LAST = ["Петров", "Иванова", "Георгиев", "Димитрова", "Николов", "Смирнова", "Попов", "Кузнецова"]
POSITIONS = ["Управител", "Счетоводител", "Снабдител", "Директор", "Менеджър продажби", ""]
FORMS = ["ООД", "ЕООД", "АД", "ЕТ", ""]


def _existing_people(limit: int) -> list[tuple[str, str]]:
    """(E.164 phone, full name) of contacts in the database, spread over the whole table."""
    import django

    django.setup()
    from django.db.models import Max

    from tandem.contacts.models import Phone

    top = Phone.objects.aggregate(top=Max("id"))["top"] or 0
    step = max(1, top // limit)
    phones = Phone.objects.filter(contact__isnull=False, id__in=range(1, top + 1, step)).select_related(
        "contact"
    )
    return [(phone.e164, f"{phone.contact.first_name} {phone.contact.last_name}") for phone in phones[:limit]]


def _phone(rng: random.Random, n: int) -> str:
    if rng.random() < 0.02:
        return f"12{n % 1000}"  # not a number: reported, kept in the notes
    number = 888_000_000 + n
    style = n % 4
    if style == 0:
        return f"0{number // 1_000_000} {number // 1000 % 1000:03d} {number % 1000:03d}"
    if style == 1:
        return f"+359 {number}"
    if style == 2:
        return f"00359{number}, 02/9{n % 1_000_000:06d} (офис)"
    return f"0{number}"


def rows(count: int, existing: list[tuple[str, str]], seed: int = 7):
    rng = random.Random(seed)
    for n in range(count):
        if n % 100 == 99:
            yield ["", "", "", "", "", "", "", "без име"]
            continue
        person = n - 1 if n % 20 == 19 else n  # 5%: the previous person again (another row of theirs)
        company = person // 3
        first, last = FIRST[person % len(FIRST)], LAST[person * 7 % len(LAST)]
        name, phone = f"{first} {last} {person}", _phone(rng, person)
        if existing and person % 10 == 3:  # 10%: someone already in the database
            phone, name = existing[person % len(existing)]
        yield [
            f"Фирма {company} {FORMS[company % len(FORMS)]}".strip(),
            str(100_000_000 + company) if company % 4 else "",
            name,
            POSITIONS[person % len(POSITIONS)],
            phone,
            f"person{person}@firma{company}.bg",
            f"гр. София, ул. {company % 300} № {person % 50}",
            "" if n % 7 else "клиент от изложение",
        ]


def write_file(path: Path, count: int, existing: list[tuple[str, str]]) -> None:
    if path.suffix == ".csv":
        with path.open("w", encoding="cp1251", newline="") as output:
            writer = csv.writer(output, delimiter=";")
            writer.writerow(HEADERS)
            writer.writerows(rows(count, existing))
        return
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Клиенти")
    sheet.write_row(0, 0, HEADERS)
    for index, row in enumerate(rows(count, existing), start=1):
        sheet.write_row(index, 0, row)
    book.close()


def settle() -> None:
    """Start each timed run from a quiet database: the run before (an undo above all) leaves dead rows
    for autovacuum and dirty pages for the checkpointer, which otherwise compete with the next run for
    the same two cores (a 100,000-row import measured 22 s settled, 30 s right after an undo)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def run_child(arguments: list[str]) -> tuple[dict, float, float]:
    """Run `tandem …` as a child; (its JSON report, wall seconds, peak RSS in MB of the children)."""
    tandem = Path(sys.executable).with_name("tandem")
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run([str(tandem), *arguments], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if result.returncode != 0:
        raise SystemExit(f"tandem {' '.join(arguments)} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout), seconds, max(rss, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    parser.add_argument("--keep", action="store_true", help="do not undo the import at the end")
    parser.add_argument("--no-dry-run", action="store_true")
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings")
    existing = _existing_people(20_000)
    directory = Path(tempfile.mkdtemp(prefix="tandem-bench-import-"))
    path = directory / f"clients.{arguments.format}"
    started = time.perf_counter()
    write_file(path, arguments.rows, existing)
    size = path.stat().st_size / 1e6
    print(f"file: {path} ({size:.1f} MB, {arguments.rows} rows) in {time.perf_counter() - started:.1f} s")
    print(f"{len(existing)} people of the database (phone and name) in ~10% of the rows")
    results = {}
    if not arguments.no_dry_run:
        settle()
        report, seconds, rss = run_child(
            ["import", "contacts", str(path), "--region", "BG", "--dry-run", "--json"]
        )
        results["dry run"] = (report, seconds, rss)
    settle()
    report, seconds, rss = run_child(["import", "contacts", str(path), "--region", "BG", "--json"])
    results["import"] = (report, seconds, rss)
    for name, (report, seconds, rss) in results.items():
        rate = arguments.rows / seconds
        verdict = "ok" if rate >= ROWS_PER_S_BUDGET and rss <= RSS_BUDGET_MB else "OVER BUDGET"
        print(f"{name:8} {seconds:7.1f} s  {rate:7.0f} rows/s  peak RSS {rss:5.0f} MB  [{verdict}]")
        print(f"         counts: {json.dumps(report['counts'], ensure_ascii=False, sort_keys=True)}")
        print(f"         issues: {len(report['errors'])}")
    if not arguments.keep:
        job_id = results["import"][0]["import"]
        settle()
        report, seconds, _rss = run_child(["import", "undo", str(job_id), "--json"])
        undo = json.dumps(report["counts"].get("undo", {}))
        print(f"undo     {seconds:7.1f} s  status {report['status']}  {undo}")
    path.unlink()


if __name__ == "__main__":
    main()
