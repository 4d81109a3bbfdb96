"""Shared fixtures: a user per role in two teams, record makers, and the real browser."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # playwright runs an event loop in the test thread
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tandem.accounts.models import Team, User
from tandem.accounts.roles import Role
from tandem.accounts.services import team_create, user_create
from tandem.contacts.models import Company, Contact
from tandem.contacts.services import EmailInput, PhoneInput, company_create, contact_create

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "var" / "screenshots"
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def other_session(transactional_db, django_db_serialized_rollback):
    """PostgreSQL: a connection of its own per call, for another user's transaction running at the same
    time as this test's (closed after the test). The test commits, so its database is flushed after it
    and the data migrations' rows put back, as for the other transactional tests."""
    import psycopg
    from django.db import connection

    opened: list[psycopg.Connection] = []

    def connect() -> psycopg.Connection:
        settings = connection.settings_dict
        session = psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            password=settings["PASSWORD"],
            host=settings["HOST"],
            port=settings["PORT"] or None,
        )
        opened.append(session)
        return session

    yield connect
    for session in opened:
        session.close()


@pytest.fixture
def race(other_session):
    """PostgreSQL: run `first` in a session that stays open, then `second` in another, which must wait
    for the first; the first commits, then the second. Each is (sql, params)."""

    def run(first: tuple[str, list], second: tuple[str, list]) -> None:
        one, two = other_session(), other_session()
        one.execute(*first)

        def in_second() -> None:
            two.execute(*second)
            two.commit()

        thread = threading.Thread(target=in_second)
        thread.start()
        thread.join(0.5)
        waited = thread.is_alive()
        one.commit()
        thread.join(10)
        assert waited, "the second transaction did not wait for the first"

    return run


@pytest.fixture
def team_a(db) -> Team:
    return team_create(actor=None, name="Team A")


@pytest.fixture
def team_b(db) -> Team:
    return team_create(actor=None, name="Team B")


def _user(email: str, role: Role, team: Team | None = None, name: str = "") -> User:
    return user_create(actor=None, email=email, role=role, team=team, password=PASSWORD, full_name=name)


@pytest.fixture
def admin(db) -> User:
    return _user("admin@example.com", Role.ADMIN, name="Ada Admin")


@pytest.fixture
def head_a(team_a) -> User:
    head = _user("head.a@example.com", Role.HEAD, team_a, "Hana Head")
    team_a.head = head
    team_a.save(update_fields=["head"])
    return head


@pytest.fixture
def rep_a(team_a) -> User:
    return _user("rep.a@example.com", Role.REP, team_a, "Rita Rep")


@pytest.fixture
def rep_a2(team_a) -> User:
    return _user("rep.a2@example.com", Role.REP, team_a, "Ravi Rep")


@pytest.fixture
def rep_b(team_b) -> User:
    return _user("rep.b@example.com", Role.REP, team_b, "Boris Rep")


@pytest.fixture
def marketer(db) -> User:
    return _user("marketer@example.com", Role.MARKETER, name="Mia Marketer")


@pytest.fixture
def readonly(db) -> User:
    return _user("readonly@example.com", Role.READONLY, name="Rob Reader")


@pytest.fixture
def make_company(db):
    def make(owner: User, name: str = "Acme", **data) -> Company:
        phones = [PhoneInput(number) for number in data.pop("phones", [])]
        emails = [EmailInput(address) for address in data.pop("emails", [])]
        return company_create(actor=owner, data={"name": name, **data}, phones=phones, emails=emails)

    return make


@pytest.fixture
def make_contact(db):
    def make(owner: User, first_name: str = "Ivan", last_name: str = "Petrov", **data) -> Contact:
        phones = [PhoneInput(number) for number in data.pop("phones", [])]
        emails = [EmailInput(address) for address in data.pop("emails", [])]
        return contact_create(
            actor=owner,
            data={"first_name": first_name, "last_name": last_name, **data},
            phones=phones,
            emails=emails,
        )

    return make


@pytest.fixture
def make_deal(db):
    """make_deal(owner, title, **data) → a deal in the first pipeline, through the real service."""
    from tandem.deals.models import Pipeline
    from tandem.deals.services import deal_create

    pipeline = Pipeline.objects.order_by("position", "id").first()

    def make(owner: User, title: str = "Deal", **data):
        return deal_create(actor=owner, data={"title": title, "pipeline": pipeline, **data})

    return make


@pytest.fixture(autouse=True)
def _default_sales_process(request):
    """Live-server tests flush every table, the data migrations' defaults included (pipelines,
    activity types): put them back for every database test, live-server ones too."""
    names = request.fixturenames
    if "transactional_db" in names or "live_server" in names:
        request.getfixturevalue("transactional_db")
        from django.contrib.auth.models import Permission
        from django.contrib.contenttypes.models import ContentType
        from django.core.management.sql import emit_post_migrate_signal

        # A flush by an earlier live-server test may have left no content types or permissions (so
        # no role could do anything): recreate them and the role groups as `migrate` does.
        if not Permission.objects.exists():
            ContentType.objects.clear_cache()
            emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    elif "db" in names:
        request.getfixturevalue("db")
    else:
        return
    from django.apps import apps

    from tandem.activities.defaults import activities_seed
    from tandem.activities.models import ActivityType, Outcome
    from tandem.deals.defaults import sales_process_seed
    from tandem.deals.models import Pipeline

    if not Pipeline.objects.exists():
        sales_process_seed(apps)
    if not ActivityType.objects.exists() or not Outcome.objects.exists():
        activities_seed(apps)


# --- the real browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot under var/screenshots/NAME.png (kept as a CI artifact)."""

    def take(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
        except PlaywrightError as error:
            # Chromium sometimes refuses a capture while it is still compositing a frame on a busy
            # machine ("Unable to capture screenshot"); a moment later the same capture works.
            if "Unable to capture screenshot" not in str(error):
                raise
            page.wait_for_timeout(500)
            page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def login(page, live_server):
    def do(user: User, password: str = PASSWORD):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    return do
