"""What every command shares: one-sentence failures with their exit codes, and opening the archive."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from archive.database import Archive, open_archive
from archive.errors import ArchiveError
from crawler.run.exits import EXIT_ERRORS, EXIT_USAGE, archive_refusal
from crawler.sites.profile import ProfileError, SiteProfile, load_profile
from crawler.sites.resolve import archive_key
from crawler.sites.urls import UrlError


class Failed(click.ClickException):
    """One sentence for the user and a documented exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_ERRORS) -> None:
        super().__init__(message)
        # click reads the code from the exception; its class-level default is 1.
        self.exit_code = exit_code  # type: ignore[misc]


@contextmanager
def reading(db_url: str | None) -> Iterator[Archive]:
    """An existing archive, for queries: never creates one; archive errors become sentences."""
    try:
        archive = open_archive(db_url, create=False, read_only=True)
    except ArchiveError as exc:
        raise _failed(exc) from None
    try:
        yield archive
    except ArchiveError as exc:
        raise _failed(exc) from None
    finally:
        archive.close()


@contextmanager
def writing(db_url: str | None, *, create: bool = False) -> Iterator[Archive]:
    """An existing archive (or, with `create`, a new one), to write to; archive errors become
    sentences."""
    try:
        archive = open_archive(db_url, create=create)
    except ArchiveError as exc:
        raise _failed(exc) from None
    try:
        yield archive
    except ArchiveError as exc:
        raise _failed(exc) from None
    finally:
        archive.close()


def page_key(url: str) -> str:
    """The archive's key for a URL given on the command line; a malformed one is exit 2."""
    try:
        return archive_key(url)
    except UrlError as exc:
        raise Failed(str(exc), EXIT_USAGE) from None


def site_profile(name: str) -> SiteProfile:
    try:
        return load_profile(name)
    except ProfileError as exc:
        raise Failed(str(exc), EXIT_USAGE) from None


def _failed(exc: ArchiveError) -> Failed:
    refusal = archive_refusal(exc)
    return Failed(refusal.sentence, refusal.exit_code)
