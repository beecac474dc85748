"""The media type a file's bytes are, read from their signature (filetype): a server's
Content-Type may say otherwise, and the archive keeps both."""

from __future__ import annotations

import filetype


def media_type(data: bytes) -> str | None:
    """The media type of `data` by its magic bytes; None when no known signature matches."""
    if not data:
        return None
    found = filetype.guess_mime(data[:8192])
    return str(found) if found else None
