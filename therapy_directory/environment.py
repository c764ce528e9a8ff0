"""Typed reads of the environment for settings.py, which refuse what they cannot read.

A deployer's typo must stop the process with a message naming the variable, never turn
into a quiet default: ``DEBUG=Ture`` is an error, not ``False``. An unset or empty
variable takes the default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

TRUE = ("true", "yes", "on", "1")
FALSE = ("false", "no", "off", "0")


class Environment:
    """``env.bool("DEBUG", default=False)``, ``env.int(...)``: each read either returns a
    value of its type or raises ImproperlyConfigured naming the variable and what it
    accepts."""

    def __init__(self, variables: Mapping[str, str] = os.environ) -> None:
        self.variables = variables

    def _raw(self, name: str) -> str | None:
        value = self.variables.get(name, "").strip()
        return value or None

    def str(self, name: str, default: str = "") -> str:
        """As set (a secret may end in a space), or the default when unset or blank."""
        value = self.variables.get(name, "")
        return value if value.strip() else default

    def bool(self, name: str, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE:
            return False
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a boolean: use one of {', '.join(TRUE + FALSE)}"
        )

    def int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}={value!r} is not a whole number (e.g. {default})"
            ) from None
        return self._at_least(name, number, minimum)

    def list(self, name: str, default: list[str]) -> list[str]:
        """Comma-separated; blanks around and between the commas are dropped."""
        value = self._raw(name)
        if value is None:
            return default
        return [item.strip() for item in value.split(",") if item.strip()]

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self._raw(name) or default
        if value not in choices:
            raise ImproperlyConfigured(f"{name}={value!r}: use one of {', '.join(choices)}")
        return value

    @staticmethod
    def _at_least(name: str, number: int, minimum: int | None) -> int:
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name}={number} is below its minimum, {minimum}")
        return number
