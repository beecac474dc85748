"""One crawl run, Scrapy aside: its lock, session, writer and worker processes, summary and exit codes."""
