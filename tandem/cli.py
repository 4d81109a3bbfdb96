"""The `tandem` command: Django's manage.py with Tandem's own commands in front.

`tandem check` parses the configuration itself so that bad environment variables are explained in
plain words instead of a traceback.

`tandem worker` is Huey's consumer (`run_huey`). With several workers (RedisHuey) exactly one may run
the periodic scheduler: start the others with TANDEM_SCHEDULER=0 (or `--no-periodic`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

ALIASES = {
    "run": "tandem_run",
    "worker": "run_huey",
    "createuser": "createuser",
    "demo": "demo",
    "token": "token",
    "import": "tandem_import",
}


NO_PERIODIC = ("--no-periodic", "-n")


def _configuration_problems() -> list[str]:
    from tandem.env import ConfigError

    try:
        import tandem.settings  # noqa: F401
    except ConfigError as error:
        return error.problems
    return []


def scheduler_enabled(environ: Mapping[str, str], problems: list[str]) -> bool:
    """TANDEM_SCHEDULER (default on): whether this `tandem worker` runs the periodic scheduler."""
    from tandem.env import Env

    env = Env(source=environ, problems=problems)
    return env.bool("TANDEM_SCHEDULER", True)


def worker_argv(argv: list[str], *, scheduler: bool) -> list[str]:
    """`run_huey` arguments: `--no-periodic` added when this worker must not run the scheduler."""
    if scheduler or any(argument in NO_PERIODIC for argument in argv[2:]):
        return argv
    return [*argv, "--no-periodic"]


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings")
    problems = _configuration_problems()
    scheduler = scheduler_enabled(os.environ, problems)
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
    if command == "worker":
        argv = worker_argv(argv, scheduler=scheduler)
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
