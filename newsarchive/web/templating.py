"""Pages from Jinja2 templates: every value escaped (archived text is a third party's), the
language of the request, dates in Asia/Shanghai, and diffs and search hits marked up."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from archive.diff import VersionDiff
from archive.search import fold
from archive.text.diff import Span
from newsarchive.web import i18n
from newsarchive.web.dates import ZONE, local, utc
from newsarchive.web.memento import timestamp
from newsarchive.web.replay_origin import replay_origin

TEMPLATES = Path(__file__).with_name("templates")
_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _time(moment: Any) -> Markup:
    """A <time> showing Asia/Shanghai, UTC on hover and in its datetime attribute."""
    if moment is None:
        return Markup("—")
    return Markup('<time datetime="{0}" title="{0}">{1}</time>').format(utc(moment), local(moment))


def _published(record: Any) -> Markup:
    """A record's publication time as precise as its page gave it: a date alone is a day."""
    moment = record.published_at
    if moment is None:
        return Markup("—")
    if record.published_precision == "day":
        day = moment.astimezone(ZONE).date().isoformat()
        return Markup('<time datetime="{0}">{0}</time>').format(day)
    return _time(moment)


def _spans(spans: Iterable[Span], side: str = "inline") -> Markup:
    """Diff spans as <ins>/<del> around escaped text: `old` keeps deletions, `new` insertions."""
    out = []
    for span in spans:
        if span.op == "equal":
            out.append(escape(span.text))
        elif span.op == "delete" and side != "new":
            out.append(Markup('<del class="change">{}</del>').format(span.text))
        elif span.op == "insert" and side != "old":
            out.append(Markup('<ins class="change">{}</ins>').format(span.text))
    return Markup("").join(out)


def _highlight(text: str, query: str | None) -> Markup:
    """`text` escaped, every occurrence of the query (compared as search folds) in <mark>."""
    if not query or not text or len(fold(text)) != len(text):
        return escape(text)
    folded, needle = fold(text), fold(query).strip()
    if not needle:
        return escape(text)
    out, start = [], 0
    while (found := folded.find(needle, start)) >= 0:
        out += [
            escape(text[start:found]),
            Markup("<mark>{}</mark>").format(text[found : found + len(needle)]),
        ]
        start = found + len(needle)
    out.append(escape(text[start:]))
    return Markup("").join(out)


_environment.filters.update(
    time=_time,
    published=_published,
    spans=_spans,
    highlight=_highlight,
    local=local,
    utc=utc,
    timestamp=timestamp,
)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The template `name` in the request's language; a ?lang= switch is remembered."""
    language = i18n.choose(request)
    template = _environment.get_template(name)
    context.setdefault("replay", replay_origin(request))
    html = template.render(
        request=request,
        lang=language,
        _=i18n.translator(language),
        switch=_switch(request, "en" if language == "zh" else "zh"),
        query=lambda **changes: _with(request, changes),
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers={"Content-Language": language})
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, language, max_age=365 * 86400, samesite="lax")
    return response


def _switch(request: Request, language: str) -> str:
    return _with(request, {"lang": language})


def _with(request: Request, changes: dict[str, Any]) -> str:
    """This page's address with some query parameters changed (None removes one)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    for key, value in changes.items():
        if value is None:
            continue
        params += (
            [(key, str(v)) for v in value]
            if isinstance(value, list | tuple)
            else [(key, str(value))]
        )
    encoded = urlencode(params)
    return request.url.path + (f"?{encoded}" if encoded else "")


def inline_diff(diff: VersionDiff) -> Markup:
    """A diff as HTML outside a page (a feed entry): each changed field and its marked text."""
    return Markup(_environment.get_template("_inline_diff.html").render(diff=diff))
