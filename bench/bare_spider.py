"""The baseline: a bare Scrapy spider fetching the same pages as a crawl, parsing only links."""

from __future__ import annotations

import json
import re
import sys

from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess

TOTAL = re.compile(r"createPage(?:HTML)?\(\s*(\d+)")
ARTICLE = re.compile(r"/t\d{8}_\d+\.html$")


class BareSpider(Spider):
    """Walks /col8173/col8174/ and its index_N.html pages, fetches each article, keeps nothing."""

    name = "bare"

    def __init__(self, base_url: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    async def start(self):
        yield Request(
            f"{self.base_url}/col8173/col8174/", callback=self.parse_list, cb_kwargs={"first": True}
        )

    def parse_list(self, response, first=False):
        for href in response.css("li a::attr(href)").getall():
            url = response.urljoin(href.replace("http://www.chencang.gov.cn", self.base_url))
            if ARTICLE.search(url):
                yield Request(url, callback=self.parse_article, priority=10)
        found = TOTAL.search(response.text)
        if first and found:
            for number in range(1, int(found.group(1))):
                yield Request(
                    f"{self.base_url}/col8173/col8174/index_{number}.html", callback=self.parse_list
                )

    def parse_article(self, response):
        return None


def main(base_url: str) -> None:
    process = CrawlerProcess(
        {
            "LOG_LEVEL": "WARNING",
            "ROBOTSTXT_OBEY": True,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
            "AUTOTHROTTLE_ENABLED": False,
        }
    )
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, base_url=base_url)
    process.start()
    stats = crawler.stats.get_stats()
    print(
        json.dumps(
            {
                "requests": stats["downloader/request_count"],
                "seconds": stats["elapsed_time_seconds"],
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
