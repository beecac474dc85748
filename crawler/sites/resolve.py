"""Which site a URL belongs to, its key in the archive, and which archived article a mirror copies."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from archive.database import Archive, open_archive
from archive.errors import ArchiveError
from archive.query import archived
from crawler.sites.profile import SiteProfile, available_profiles, load_profile
from crawler.sites.urls import SiteUrls, check_http


def all_profiles() -> list[SiteProfile]:
    return [load_profile(name) for name in available_profiles()]


def profile_for(url: str, base_url: str | None = None) -> SiteProfile | None:
    """The site whose host `url` is on (or on `base_url`, which stands in for every site)."""
    return next((p for p in all_profiles() if SiteUrls(p, base_url).is_own(url)), None)


def archive_key(url: str) -> str:
    """The URL the archive knows a page by: canonical for the site whose host it is on, else
    as given (a URL of no site can only be found as it was stored). UrlError when it is not a
    well-formed http(s) URL."""
    check_http(url)
    profile = profile_for(url)
    return SiteUrls(profile).canonical(url) if profile else url.strip()


def archived_original(
    url: str, archive: Archive, profiles: list[SiteProfile] | None = None
) -> tuple[SiteProfile, str] | None:
    """For a URL on another host, the site and canonical URL of the archived article at the same
    path: mirror sites copy articles to the path they had on the site."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    for profile in profiles if profiles is not None else all_profiles():
        origin = urlsplit(profile.origin)
        same_path = urlunsplit((origin.scheme, origin.netloc, parts.path, parts.query, ""))
        candidate = SiteUrls(profile).canonical(same_path)
        if archived(archive, candidate):
            return profile, candidate
    return None


def copied_article(
    url: str, db_url: str | None, profiles: list[SiteProfile] | None = None
) -> tuple[SiteProfile, str] | None:
    """archived_original in the archive at `db_url`, if there is one (none is created)."""
    try:
        archive = open_archive(db_url, create=False, read_only=True)
    except ArchiveError:
        return None
    try:
        return archived_original(url, archive, profiles)
    finally:
        archive.close()
