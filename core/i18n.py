"""Message catalogues: every sentence a user reads comes from locales/<lang>/*.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from string import Formatter

from core.names import at_sentence_start, in_running_text

DEFAULT_LOCALE = "vi"
# The params that hold a unit's name: written lower-case inside a sentence ("tai xa Con Minh")
# and capitalised where a sentence or a line starts, whoever fills them in.
UNIT_PARAMS = frozenset({"unit", "commune", "source", "target", "where", "place"})
_SENTENCE_ENDS = ".!?\n"


class Catalogue:
    """Texts by locale and key; a missing key falls back to the default locale."""

    def __init__(self, texts: Mapping[str, Mapping[str, str]], default: str = DEFAULT_LOCALE):
        if default not in texts:
            raise ValueError(f"no catalogue for the default locale {default!r}")
        self._texts = texts
        self.default = default

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(sorted(self._texts))

    def keys(self, locale: str) -> frozenset[str]:
        return frozenset(self._texts.get(locale, {}))

    def has(self, key: str) -> bool:
        return key in self._texts[self.default]

    def text(self, key: str, locale: str | None = None, /, **params: object) -> str:
        """The sentence for key, with params filled in (str.format fields)."""
        texts = self._texts.get(locale or self.default) or self._texts[self.default]
        template = texts.get(key) or self._texts[self.default].get(key)
        if template is None:
            return key
        return _fill(template, _Params(params, self, locale or self.default))

    def fields(self, key: str, locale: str) -> set[str]:
        """The names a text expects, for the guard test that compares catalogues."""
        template = self._texts.get(locale, {}).get(key, "")
        names = (name for _, name, _, _ in Formatter().parse(template) if name)
        return {name.split(".")[0].split("[")[0] for name in names}


def _fill(template: str, params: _Params) -> str:
    """str.format_map, except that a unit's name is put as it stands where it is put."""
    formatter = Formatter()
    out: list[str] = []
    for literal, field, spec, conversion in formatter.parse(template):
        out.append(literal)
        if field is None:
            continue
        value, _ = formatter.get_field(field, (), params)
        if field in UNIT_PARAMS and isinstance(value, str) and not _is_key(params, field):
            value = _as_placed(value, "".join(out))
        value = formatter.convert_field(value, conversion)
        out.append(formatter.format_field(value, spec or ""))
    return "".join(out)


def _is_key(params: _Params, field: str) -> bool:
    """A phrase from the catalogue (a 'key:' value) is written as the catalogue has it."""
    raw = dict.get(params, field)
    return isinstance(raw, str) and raw.startswith("key:")


def _as_placed(name: str, before: str) -> str:
    tail = before.rstrip(" ")
    return at_sentence_start(name) if not tail or tail[-1] in _SENTENCE_ENDS else \
        in_running_text(name)


class _Params(dict[str, object]):
    """Lets a text name another key as a value: a param given as 'key:rules-class-poor'
    (filled in with the same params), or a list of them (the missing columns' names)."""

    def __init__(self, params: Mapping[str, object], catalogue: Catalogue, locale: str):
        super().__init__(params)
        self._catalogue = catalogue
        self._locale = locale

    def __getitem__(self, name: str) -> object:
        value = super().__getitem__(name)
        if isinstance(value, list | tuple):  # several phrases: each in turn, comma-separated
            return ", ".join(str(self._phrase(v)) for v in value)
        return self._phrase(value)

    def _phrase(self, value: object) -> object:
        if isinstance(value, str) and value.startswith("key:"):
            # the named text gets the same params: a phrase may hold a number or a date too
            return self._catalogue.text(value[4:], self._locale, **dict.copy(self))
        return value

    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def _read_locale(folder: Traversable) -> dict[str, str]:
    texts: dict[str, str] = {}
    for file in sorted(folder.iterdir(), key=lambda f: f.name):
        if file.name.endswith(".toml"):
            for key, value in tomllib.loads(file.read_text(encoding="utf-8")).items():
                if key in texts:
                    raise ValueError(f"{folder.name}/{file.name}: key {key!r} defined twice")
                texts[key] = str(value)
    return texts


def _locale_folders(root: Traversable | None) -> list[Traversable]:
    base = root or resources.files("locales")
    return sorted((f for f in base.iterdir() if f.is_dir() and not f.name.startswith("_")),
                  key=lambda f: f.name)


def shipped_locales(root: Traversable | None = None) -> tuple[str, ...]:
    """The languages locales/ has a folder for, without reading their texts."""
    return tuple(folder.name for folder in _locale_folders(root))


def load_catalogue(default: str = DEFAULT_LOCALE, root: Traversable | None = None) -> Catalogue:
    """Read every locales/<lang>/*.toml shipped with the package."""
    texts = {folder.name: _read_locale(folder) for folder in _locale_folders(root)}
    return Catalogue(texts, default)
