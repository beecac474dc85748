"""Append-only, versioned storage of captured pages and their history; knows nothing of Scrapy."""
