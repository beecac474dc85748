"""The one spider, NewsSpider; every site profile is a spider of that class (crawler.spiderloader)."""
