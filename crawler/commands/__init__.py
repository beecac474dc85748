"""Scrapy commands of the project (COMMANDS_MODULE): `scrapy crawl` with newsarchive's exit codes."""
