"""The `tandem` command: Django's manage.py with Tandem's own commands in front.

`tandem check` parses the configuration itself so that bad environment variables are explained in
plain words instead of a traceback.
"""

from __future__ import annotations

import os
import sys

ALIASES = {
    "run": "tandem_run",
    "worker": "run_huey",
    "createuser": "createuser",
    "demo": "demo",
    "token": "token",
}


def _configuration_problems() -> list[str]:
    from tandem.env import ConfigError

    try:
        import tandem.settings  # noqa: F401
    except ConfigError as error:
        return error.problems
    return []


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings")
    problems = _configuration_problems()
    command = argv[1] if len(argv) > 1 else "help"
    if problems:
        print("Tandem cannot start: the configuration has problems.", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        sys.exit(2)
    if command == "check":
        argv[1:2] = ["tandem_check"]
    elif command in ALIASES:
        argv[1] = ALIASES[command]
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
