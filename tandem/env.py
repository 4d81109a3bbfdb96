"""Strict parsers for configuration taken from environment variables.

Every problem is collected as a plain-words message naming the variable and what is allowed,
so `tandem check` can explain all of them at once and startup fails loudly on the first.
"""

from __future__ import annotations

import builtins
import os
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class ConfigError(Exception):
    """A configuration value is missing or malformed."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Env:
    source: Mapping[builtins.str, builtins.str] = field(default_factory=lambda: os.environ)
    problems: builtins.list[builtins.str] = field(default_factory=list)

    def _get(
        self, name: builtins.str, default: T, parse: Callable[[builtins.str], T], allowed: builtins.str
    ) -> T:
        raw = self.source.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return parse(raw.strip())
        except (ValueError, TypeError):
            self.problems.append(f"{name}={raw!r} is not valid: expected {allowed}.")
            return default

    def str(self, name: builtins.str, default: builtins.str = "") -> builtins.str:
        return self._get(name, default, builtins.str, "text")

    def bool(self, name: builtins.str, default: builtins.bool) -> builtins.bool:
        def parse(value: builtins.str) -> builtins.bool:
            lowered = value.lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)

        return self._get(name, default, parse, "one of true/false/1/0/yes/no/on/off")

    def int(
        self,
        name: builtins.str,
        default: builtins.int,
        *,
        minimum: builtins.int = 0,
        maximum: builtins.int = 2**31,
    ) -> builtins.int:
        def parse(value: builtins.str) -> builtins.int:
            number = int(value)
            if not minimum <= number <= maximum:
                raise ValueError(value)
            return number

        return self._get(name, default, parse, f"a whole number from {minimum} to {maximum}")

    def choice(
        self, name: builtins.str, default: builtins.str, choices: builtins.list[builtins.str]
    ) -> builtins.str:
        def parse(value: builtins.str) -> builtins.str:
            if value not in choices:
                raise ValueError(value)
            return value

        return self._get(name, default, parse, "one of " + ", ".join(choices))

    def list(self, name: builtins.str, default: builtins.list[builtins.str]) -> builtins.list[builtins.str]:
        def parse(value: builtins.str) -> builtins.list[builtins.str]:
            return [item.strip() for item in value.split(",") if item.strip()]

        return self._get(name, default, parse, "a comma-separated list")

    def path(self, name: builtins.str, default: Path) -> Path:
        return self._get(name, default, lambda value: Path(value).expanduser().resolve(), "a path")

    def timezone(self, name: builtins.str, default: builtins.str) -> builtins.str:
        def parse(value: builtins.str) -> builtins.str:
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
                raise ValueError(value) from error
            return value

        return self._get(name, default, parse, "an IANA time zone such as Europe/Sofia")

    def url(
        self, name: builtins.str, default: builtins.str, schemes: tuple[builtins.str, ...]
    ) -> builtins.str:
        def parse(value: builtins.str) -> builtins.str:
            if not value.startswith(tuple(f"{scheme}://" for scheme in schemes)):
                raise ValueError(value)
            return value

        return self._get(
            name, default, parse, "a URL starting with " + " or ".join(f"{s}://" for s in schemes)
        )

    def phone_region(self, name: builtins.str, default: builtins.str) -> builtins.str:
        import phonenumbers

        def parse(value: builtins.str) -> builtins.str:
            region = value.upper()
            if region not in phonenumbers.SUPPORTED_REGIONS:
                raise ValueError(value)
            return region

        return self._get(name, default, parse, "a two-letter country code such as BG, RU or GB")

    def require(self, name: builtins.str, value: builtins.str, why: builtins.str) -> None:
        if not value:
            self.problems.append(f"{name} is required {why}.")

    def raise_if_problems(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)
