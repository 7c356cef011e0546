"""Turning neutral replies into text and buttons, the same way for every channel."""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import Catalogue
from core.messages import Option, Reply
from core.messages import split_text as split_text  # its home is core; channels import it here


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    buttons: tuple[Button, ...] = ()
    qr: str | None = None


def option_label(catalogue: Catalogue, option: Option, locale: str) -> str:
    if option.label:
        return option.label
    return catalogue.text(option.key, locale, **dict(option.params))


def render(catalogue: Catalogue, reply: Reply, locale: str) -> Rendered:
    """A reply's text and its buttons in the chat's language."""
    text = catalogue.text(reply.key, locale, **dict(reply.params))
    buttons = tuple(Button(option_label(catalogue, o, locale), o.value) for o in reply.options)
    return Rendered(text=text, buttons=buttons, qr=reply.qr)


def numbered_menu(catalogue: Catalogue, rendered: Rendered, locale: str) -> str:
    """For channels without buttons: the options as a numbered list and how to answer."""
    if not rendered.buttons:
        return rendered.text
    lines = [rendered.text, ""]
    lines += [f"{n}. {b.label}" for n, b in enumerate(rendered.buttons, start=1)]
    numbers = [str(n) for n in range(1, len(rendered.buttons) + 1)]
    hint = (
        catalogue.text("menu-answer-one", locale)
        if len(numbers) == 1
        else catalogue.text(
            "menu-answer-many", locale, first=", ".join(numbers[:-1]), last=numbers[-1]
        )
    )
    return "\n".join([*lines, "", hint])

