"""Scrapy's spider loader for newsarchive: every site profile is a spider, built from one class."""

from __future__ import annotations

import builtins
from typing import Self

from scrapy import Request
from scrapy.settings import BaseSettings

from crawler.sites.profile import ProfileError, available_profiles, load_profile
from crawler.spiders.news import NewsSpider


class ProfileSpiderLoader:
    """Implements scrapy's SpiderLoaderProtocol over the site profiles (no spider modules needed)."""

    def __init__(self, settings: BaseSettings) -> None:
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls(settings)

    def load(self, spider_name: str) -> type[NewsSpider]:
        try:
            return NewsSpider.for_profile(load_profile(spider_name))
        except ProfileError as exc:
            raise KeyError(str(exc)) from None

    def list(self) -> list[str]:
        return available_profiles()

    def find_by_request(self, request: Request) -> builtins.list[str]:
        return [name for name in self.list() if self.load(name).handles(request.url)]
