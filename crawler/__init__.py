"""The Scrapy project: one spider driven by site profiles, its pipelines, middlewares and extensions."""
