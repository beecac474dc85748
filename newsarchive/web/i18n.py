"""The application's two languages: chosen from ?lang=, a cookie, or Accept-Language; Chinese
strings read from a gettext catalogue (locale/zh/LC_MESSAGES/messages.po) with Babel."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from starlette.requests import Request

LANGUAGES = ("zh", "en")
COOKIE = "lang"
LOCALE = Path(__file__).with_name("locale")


def choose(request: Request) -> str:
    """?lang= (a switch), else the cookie it set, else the first language the browser accepts."""
    asked = request.query_params.get("lang") or request.cookies.get(COOKIE)
    if asked in LANGUAGES:
        return asked
    for part in request.headers.get("Accept-Language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"


def translator(language: str) -> Callable[[str], str]:
    """`_`: the English message in `language` (itself when there is no translation)."""
    if language == "en":
        return lambda message: message
    catalogue = _catalogue(language)
    return lambda message: catalogue.get(message, message)


@cache
def _catalogue(language: str) -> dict[str, str]:
    path = LOCALE / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}
