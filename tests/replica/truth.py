"""Ground truth: what a correct extractor reads off each served page, and what changed when."""

from __future__ import annotations

from urllib.parse import urljoin

from . import mirror
from .identity import IDENTITY
from .model import CANONICAL_ORIGIN, LIST_PATH, XXGK_COLUMN_PATH, Content
from .pages import file_href
from .timeline import Timeline


def served_template(path: str) -> str:
    if path.startswith("/art/"):
        return "legacy"
    return "xxgk" if path.startswith(XXGK_COLUMN_PATH) else "news"


def column_of(template: str) -> str:
    return IDENTITY.column_name if template == "news" else "政府信息公开"


def body_text(content: Content) -> str:
    """Text and caption paragraphs, stripped, empty ones dropped, joined with newlines."""
    return content.body_text()


def images(content: Content, page_url: str) -> list[str]:
    return [urljoin(page_url, file_href(p.image)) for p in content.paragraphs if p.kind == "image"]


def attachments(content: Content, page_url: str) -> list[dict[str, str]]:
    return [
        {"url": urljoin(page_url, file_href(f.name)), "text": f.text} for f in content.attachments
    ]


def links(content: Content, page_url: str) -> list[dict[str, str]]:
    return [
        {"url": urljoin(page_url, s.href), "text": s.text}
        for p in content.paragraphs
        for s in p.segments
        if s.kind == "link"
    ]


def article_truth(timeline: Timeline, key: int, day: int) -> dict:
    article = timeline.article(key)
    state = timeline.state_on(key, day)
    content = timeline.content_on(key, day)
    path = timeline.canonical_path(key)
    served = timeline.served_path(key, day)
    page_url = CANONICAL_ORIGIN + served
    template = served_template(served)
    return {
        "url": CANONICAL_ORIGIN + path,
        "path": path,
        "doc_id": str(article.doc_id),
        "title": content.title,
        "published_at": content.published_at.isoformat(),
        "source": content.source,
        "column": column_of(template),
        "body": body_text(content),
        "images": images(content, page_url),
        "attachments": attachments(content, page_url),
        "links": links(content, page_url),
        "state": state.state,
        "listed": state.listed,
        "status": state.status,
        "version": state.version,
        "moved_to": CANONICAL_ORIGIN + state.moved_to if state.moved_to else None,
        "encoding": article.features.encoding,
        "charset_declared": article.features.charset_declared,
        "template": template,
        "robots_disallowed": timeline.robots_disallowed(key, day),
    }


def site_truth(
    timeline: Timeline,
    day: int,
    mirror_origin: str | None = None,
    faulted: list[dict[str, object]] | None = None,
    article_template: str | None = None,
) -> dict:
    """The /_replica/truth document (shape documented in tests/replica/README.md); faulted: the
    faulted pages under the active fault settings (Site.faulted); article_template: the article
    template in force today, None when no re-platform is configured (then the key is absent)."""
    mirrors = mirror.mirror_truth(timeline, day, mirror_origin) if mirror_origin else []
    in_force = {} if article_template is None else {"article_template": article_template}
    return {
        "day": day,
        "date": timeline.options.date_of(day).isoformat(),
        "canonical_origin": CANONICAL_ORIGIN,
        "list_path": LIST_PATH,
        "list_pages": timeline.list_pages(day),
        "template": timeline.options.template,
        **in_force,
        "articles": [article_truth(timeline, k, day) for k in range(timeline.published_count(day))],
        "changes": timeline.changes(day),
        "mirrors": mirrors,
        **timeline.extras.truth(day),
        "faulted": faulted or [],
    }
