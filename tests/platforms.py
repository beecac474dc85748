"""Copies of built-in site profiles on platforms of a test's choosing, in a folder for
$NEWSARCHIVE_PROFILE_PATH: replica sites that stand in for sites of different back ends (the
Baoji county profiles all extend one platform profile, and so share one platform)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from crawler.sites.profile import PROFILE_DIR, PROFILE_PATH_ENV


def platform_profiles(folder: Path, platforms: Mapping[str, str]) -> Path:
    """Each site's built-in profile copied into `folder` with `platform` set as given (a
    top-level key, so it comes first): its crawls take that platform's download slot, and
    workers lease it as a site of that platform. Everything else is the built-in's."""
    folder.mkdir(parents=True, exist_ok=True)
    for site, platform in platforms.items():
        original = (PROFILE_DIR / f"{site}.toml").read_text(encoding="utf-8")
        copy = f'platform = "{platform}"\n{original}'
        (folder / f"{site}.toml").write_text(copy, encoding="utf-8")
    return folder


def profile_env(folder: Path) -> dict[str, str]:
    """This process's environment with `folder` searched for profiles first."""
    return {**os.environ, PROFILE_PATH_ENV: str(folder)}
