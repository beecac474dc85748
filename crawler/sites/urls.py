"""A site's URL space: canonical URLs, the origin requests really go to, and what a link points at."""

from __future__ import annotations

import posixpath
import re
from fnmatch import fnmatchcase
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

from crawler.sites.profile import SiteProfile

DEFAULT_PORTS = {"http": "80", "https": "443"}
_INDEX_PAGE = re.compile(r"/index\.s?html?$", re.IGNORECASE)


class UrlError(ValueError):
    """A URL this site cannot fetch; the message is one sentence for the user."""


class SiteUrls:
    """Maps between the site's canonical URLs and the origin that serves the bytes (`base_url`).

    Pages are archived under canonical URLs (the profile's origin) whatever origin fetched them:
    with `base_url` set (a replica, a proxy), every request goes there with the same path.
    """

    def __init__(self, profile: SiteProfile, base_url: str | None = None) -> None:
        self.profile = profile
        self.origin = profile.origin
        self.base = _origin_of(base_url) if base_url else self.origin
        self._own = {_origin_of(o) for o in (profile.origin, *profile.aliases)} | {self.base}

    def canonical(self, url: str, base: str | None = None) -> str:
        """The canonical form of `url` (resolved against `base`): own origins become the profile's."""
        absolute = urljoin(base, url.strip()) if base else url.strip()
        parts = urlsplit(safe_url_string(absolute))
        origin = _origin_of(f"{parts.scheme}://{parts.netloc}")
        own = origin in self._own
        if own:
            origin = self.origin
        path = _clean_path(parts.path)
        # The profile's volatile parameters are the site's own cache busting; elsewhere a
        # parameter may mean anything, so other sites' URLs keep theirs.
        query = self._without_volatile(parts.query) if own else parts.query
        return urlunsplit((*urlsplit(origin)[:2], path, query, ""))

    def fetch_url(self, canonical: str) -> str:
        """Where to request a canonical URL: the same path on `base_url`."""
        parts = urlsplit(canonical)
        if _origin_of(f"{parts.scheme}://{parts.netloc}") != self.origin:
            return canonical
        base = urlsplit(self.base)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    def is_own(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
            return (
                parts.scheme in DEFAULT_PORTS
                and _origin_of(f"{parts.scheme}://{parts.netloc}") in self._own
            )
        except ValueError:  # not a well-formed URL (a bad port, an unclosed IPv6 bracket)
            return False

    def is_attachment(self, url: str) -> bool:
        extension = posixpath.splitext(urlsplit(url).path)[1].lstrip(".").lower()
        return extension in self.profile.article.attachment_extensions

    def is_article(self, url: str) -> bool:
        """An own-site URL whose path matches the profile's article patterns."""
        path = urlsplit(url).path
        patterns = self.profile.article.url_patterns
        return self.is_own(url) and any(p.search(path) for p in patterns)

    def doc_id(self, url: str) -> str | None:
        path = urlsplit(url).path
        for pattern in self.profile.article.doc_id_patterns:
            found = pattern.search(path)
            if found:
                return found.group(1)
        return None

    def list_page(self, path: str, number: int) -> str:
        """The canonical URL of list page `number` (0-based) of the column at `path`."""
        name = "" if number == 0 else self.profile.listing.page.format(n=number)
        return f"{self.origin}{path}{name}"

    def check_fetchable(self, url: str) -> str:
        """The canonical URL of `url` if this site can fetch it; otherwise UrlError with a reason."""
        check_http(url)
        if not self.is_own(url):
            raise UrlError(f"{url} is not on {self.profile.name} ({self.origin}).")
        return self.canonical(url)

    def _without_volatile(self, query: str) -> str:
        """The query without cache-busting and tracking parameters (the rest kept as written)."""
        pairs = parse_qsl(query, keep_blank_values=True)
        if not any(self._ignored(key) for key, _ in pairs):
            return query
        return urlencode([(key, value) for key, value in pairs if not self._ignored(key)])

    def _ignored(self, key: str) -> bool:
        rules = self.profile.article
        return key in rules.volatile_query_params or any(
            fnmatchcase(key, pattern) for pattern in rules.tracking_query_params
        )


def check_http(url: str) -> SplitResult:
    """`url` split, if it is a well-formed http(s) URL with a host; otherwise UrlError saying why."""
    parts = well_formed(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise UrlError(f"{url!r} is not an http(s) URL.")
    if not parts.hostname:
        raise UrlError(f"{url!r} has no host.")
    return parts


def well_formed(url: str) -> SplitResult:
    """`url` split, or UrlError when it cannot be (a bad port, an unclosed IPv6 bracket)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsed lazily; an invalid port raises only here
    except ValueError as exc:
        raise UrlError(f"{url!r} is not a well-formed URL ({exc}).") from None
    return parts


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = str(parts.port) if parts.port else ""
    netloc = host if port in ("", DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    return f"{scheme}://{netloc}"


def _clean_path(path: str) -> str:
    """Resolves `.` and `..` segments, keeping a trailing slash; an empty path is `/`; a
    directory's index page is the directory (`/col8173/col8174/index.html` is `…/col8174/`)."""
    if not path:
        return "/"
    path = _INDEX_PAGE.sub("/", path)
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned + "/" if path.endswith("/") and cleaned != "/" else cleaned
