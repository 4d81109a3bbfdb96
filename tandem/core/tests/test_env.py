import os
import subprocess
import sys
from pathlib import Path

import pytest

from tandem.env import ConfigError, Env

ROOT = Path(__file__).resolve().parents[3]


def test_unset_and_blank_values_give_the_default():
    env = Env(source={"BLANK": "   "})

    assert env.str("MISSING", "x") == "x"
    assert env.int("BLANK", 7) == 7
    assert env.problems == []


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        ("ON", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("off", False),
    ],
)
def test_bool_accepts_the_usual_spellings(raw, value):
    env = Env(source={"DEBUG": raw})

    assert env.bool("DEBUG", not value) is value
    assert env.problems == []


def test_bool_records_a_problem_naming_the_variable():
    env = Env(source={"DEBUG": "maybe"})

    assert env.bool("DEBUG", False) is False
    assert env.problems == ["DEBUG='maybe' is not valid: expected one of true/false/1/0/yes/no/on/off."]


def test_int_accepts_a_number_in_range():
    env = Env(source={"EMAIL_PORT": " 587 "})

    assert env.int("EMAIL_PORT", 25, minimum=1, maximum=65535) == 587
    assert env.problems == []


@pytest.mark.parametrize("raw", ["abc", "0", "70000", "5.5"])
def test_int_records_a_problem_for_text_and_out_of_range(raw):
    env = Env(source={"EMAIL_PORT": raw})

    assert env.int("EMAIL_PORT", 25, minimum=1, maximum=65535) == 25
    assert env.problems == [f"EMAIL_PORT={raw!r} is not valid: expected a whole number from 1 to 65535."]


def test_choice_accepts_listed_values_only():
    env = Env(source={"TANDEM_LANGUAGE": "bg", "TANDEM_MODE": "prod"})

    assert env.choice("TANDEM_LANGUAGE", "en", ["en", "bg", "ru"]) == "bg"
    assert env.choice("TANDEM_MODE", "embedded", ["embedded", "production"]) == "embedded"
    assert env.problems == ["TANDEM_MODE='prod' is not valid: expected one of embedded, production."]


def test_list_splits_on_commas_and_drops_blanks():
    env = Env(source={"ALLOWED_HOSTS": " crm.example.com, ,10.0.0.1 ,"})

    assert env.list("ALLOWED_HOSTS", []) == ["crm.example.com", "10.0.0.1"]
    assert env.problems == []


def test_path_is_expanded_and_absolute(tmp_path):
    env = Env(source={"TANDEM_DATA_DIR": str(tmp_path / "a" / ".." / "b")})

    assert env.path("TANDEM_DATA_DIR", Path("/nope")) == tmp_path / "b"


def test_timezone_accepts_iana_names_and_refuses_others():
    env = Env(source={"GOOD": "Europe/Moscow", "BAD": "Mars/Olympus"})

    assert env.timezone("GOOD", "UTC") == "Europe/Moscow"
    assert env.timezone("BAD", "UTC") == "UTC"
    assert env.problems == [
        "BAD='Mars/Olympus' is not valid: expected an IANA time zone such as Europe/Sofia."
    ]


def test_url_accepts_listed_schemes_only():
    env = Env(source={"DATABASE_URL": "mysql://x", "REDIS_URL": "redis://localhost:6379/0"})

    assert env.url("REDIS_URL", "", ("redis", "rediss")) == "redis://localhost:6379/0"
    assert env.url("DATABASE_URL", "sqlite:///x", ("sqlite", "postgres")) == "sqlite:///x"
    assert env.problems == [
        "DATABASE_URL='mysql://x' is not valid: expected a URL starting with sqlite:// or postgres://."
    ]


def test_phone_region_is_upper_cased_and_must_be_supported():
    env = Env(source={"GOOD": "ru", "BAD": "XX"})

    assert env.phone_region("GOOD", "BG") == "RU"
    assert env.phone_region("BAD", "BG") == "BG"
    assert env.problems == ["BAD='XX' is not valid: expected a two-letter country code such as BG, RU or GB."]


def test_require_records_a_missing_value_with_the_reason():
    env = Env(source={})

    env.require("SECRET_KEY", "", "when TANDEM_MODE=production")
    env.require("OTHER", "set", "always")

    assert env.problems == ["SECRET_KEY is required when TANDEM_MODE=production."]


def test_raise_if_problems_raises_config_error_with_every_problem():
    env = Env(source={"A": "x", "B": "y"})
    env.int("A", 1)
    env.bool("B", False)

    with pytest.raises(ConfigError) as raised:
        env.raise_if_problems()

    assert len(raised.value.problems) == 2
    assert str(raised.value) == "\n".join(raised.value.problems)


def test_no_problems_raise_nothing():
    Env(source={}).raise_if_problems()


# --- the real settings module and `tandem check`, in a clean process --------------------------------


def _run(args: list[str], tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TANDEM_", "DJANGO_", "DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"))
    }
    environment.update({"TANDEM_DATA_DIR": str(tmp_path), **variables})
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_settings_import_fails_with_config_error_on_a_bad_value(tmp_path):
    result = _run(
        [
            "-c",
            "from tandem.env import ConfigError\ntry:\n import tandem.settings\nexcept ConfigError as e:\n"
            " print('CONFIG', e.problems)",
        ],
        tmp_path,
        TANDEM_LOGIN_ATTEMPTS="many",
    )

    assert result.stdout.strip() == (
        "CONFIG [\"TANDEM_LOGIN_ATTEMPTS='many' is not valid: expected a whole number from 1 to 1000.\"]"
    )


def test_settings_import_succeeds_with_defaults(tmp_path):
    result = _run(
        ["-c", "import tandem.settings as s; print(s.MODE, s.PHONE_REGION, s.LANGUAGE_CODE)"], tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "embedded BG en"
    assert (tmp_path / "secret_key").exists()


def test_tandem_check_explains_a_wrong_database_url_and_exits_2(tmp_path):
    result = _run(["-m", "tandem.cli", "check"], tmp_path, DATABASE_URL="mysql://x")

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "Tandem cannot start: the configuration has problems.",
        "  - DATABASE_URL='mysql://x' is not valid: expected a URL starting with sqlite:// or postgres:// or "
        "postgresql://.",
    ]


def test_tandem_check_lists_every_problem_at_once(tmp_path):
    result = _run(
        ["-m", "tandem.cli", "check"],
        tmp_path,
        TANDEM_PHONE_REGION="XX",
        TANDEM_TIME_ZONE="Nowhere",
        DEBUG="perhaps",
    )

    assert result.returncode == 2
    assert (
        "TANDEM_PHONE_REGION='XX' is not valid: expected a two-letter country code such as BG, RU or GB."
        in (result.stderr)
    )
    assert "TANDEM_TIME_ZONE='Nowhere' is not valid" in result.stderr
    assert "DEBUG='perhaps' is not valid" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_mode_requires_a_secret_key_and_allowed_hosts(tmp_path):
    result = _run(["-m", "tandem.cli", "check"], tmp_path, TANDEM_MODE="production")

    assert result.returncode == 2
    assert "  - SECRET_KEY is required when TANDEM_MODE=production (a long random string)." in result.stderr
    assert (
        "  - ALLOWED_HOSTS is required when TANDEM_MODE=production (e.g. crm.example.com)." in result.stderr
    )


def test_a_short_secret_key_is_refused(tmp_path):
    result = _run(["-m", "tandem.cli", "check"], tmp_path, SECRET_KEY="short")

    assert result.returncode == 2
    assert "SECRET_KEY is too short: use at least 32 random characters." in result.stderr


def test_tandem_check_passes_on_a_good_configuration(tmp_path):
    result = _run(["-m", "tandem.cli", "check"], tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Configuration is fine." in result.stdout
