"""The one error type that rules raise: a catalogue key and the values that fill it."""

from __future__ import annotations


class RuleError(ValueError):
    """A rule refused a value; ``key`` names the message in locales/, ``params`` fill it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __repr__(self) -> str:
        return f"RuleError({self.key!r}, {self.params!r})"
