"""Importing WARC files and WACZ packages: their captures recorded through the crawl's own path."""
