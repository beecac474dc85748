"""Canonical URLs and the --base-url origin: pages keep the real site's URLs whatever served them."""

from __future__ import annotations

import pytest

from crawler.sites.profile import load_profile
from crawler.sites.urls import SiteUrls, UrlError

ARTICLE = "http://www.chencang.gov.cn/col8173/col8174/202402/t20240207_160040.html"
LIST = "http://www.chencang.gov.cn/col8173/col8174/"


@pytest.fixture(scope="module")
def urls():
    return SiteUrls(load_profile("chencang"), "http://127.0.0.1:8123")


@pytest.mark.parametrize(
    "href",
    [
        "./202402/t20240207_160040.html",
        "/col8173/col8174/202402/t20240207_160040.html",
        ARTICLE,
        "HTTP://WWW.CHENCANG.GOV.CN:80/col8173/col8174/202402/t20240207_160040.html",
        "https://www.chencang.gov.cn/col8173/col8174/202402/t20240207_160040.html#top",
        "http://127.0.0.1:8123/col8173/col8174/202402/t20240207_160040.html",
        "../col8174/202402/./t20240207_160040.html",
    ],
)
def test_every_spelling_of_an_article_is_one_canonical_url(urls, href):
    assert urls.canonical(href, LIST) == ARTICLE


def test_requests_go_to_the_base_origin_with_the_same_path(urls):
    assert (
        urls.fetch_url(ARTICLE)
        == "http://127.0.0.1:8123/col8173/col8174/202402/t20240207_160040.html"
    )
    assert urls.fetch_url("http://www.baoji.gov.cn/x.html") == "http://www.baoji.gov.cn/x.html"


def test_without_base_url_requests_go_to_the_real_site():
    assert SiteUrls(load_profile("chencang")).fetch_url(ARTICLE) == ARTICLE


def test_cache_busting_parameters_are_not_part_of_a_url(urls):
    assert urls.canonical("./W020240207.jpg?v=12345", ARTICLE) == (
        "http://www.chencang.gov.cn/col8173/col8174/202402/W020240207.jpg"
    )
    assert urls.canonical("/search?q=会议&v=1", ARTICLE).endswith("/search?q=%E4%BC%9A%E8%AE%AE")
    assert (
        urls.canonical("http://www.baoji.gov.cn/x.htm?t=1#a", ARTICLE)
        == "http://www.baoji.gov.cn/x.htm?t=1"
    )


def test_what_a_link_points_at(urls):
    assert urls.is_article(ARTICLE)
    assert urls.is_article("http://www.chencang.gov.cn/art/2022/12/12/art_14329_1583568.html")
    assert not urls.is_article(
        "http://www.baoji.gov.cn/col8173/col8174/202402/t20240207_160040.html"
    )
    assert not urls.is_article(LIST)
    assert urls.is_attachment("http://www.chencang.gov.cn/col8173/col8174/202402/P020240207555.PDF")
    assert urls.doc_id(ARTICLE) == "160040"
    assert (
        urls.doc_id("http://www.chencang.gov.cn/art/2022/12/12/art_14329_1583568.html") == "1583568"
    )


@pytest.mark.parametrize(
    "href",
    [
        "./202402/t20240207_160040.html?utm_source=wechat&utm_medium=share",
        "./202402/t20240207_160040.html?from=timeline#content",
        "HTTP://WWW.chencang.gov.CN:80/col8173/col8174/../col8174/202402/t20240207_160040.html",
    ],
)
def test_tracking_parameters_and_spellings_are_not_part_of_a_url(urls, href):
    assert urls.canonical(href, LIST) == ARTICLE


def test_a_directory_index_page_is_the_directory(urls):
    assert urls.canonical("/col8173/col8174/index.html", ARTICLE) == LIST
    assert urls.canonical("/col8173/col8174/index_2.html", ARTICLE) == LIST + "index_2.html"
    assert urls.canonical("/search?page=2&from=home", ARTICLE).endswith("/search?page=2")


def test_list_pages_are_numbered_from_the_column_path(urls):
    assert urls.list_page("/col8173/col8174/", 0) == LIST
    assert urls.list_page("/col8173/col8174/", 3) == LIST + "index_3.html"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://www.chencang.gov.cn/a.html", "not an http"),
        ("file:///etc/passwd", "not an http"),
        ("http://", "no host"),
        ("not a url", "not an http"),
        (
            "http://www.baoji.gov.cn/col8173/col8174/202402/t20240207_160040.html",
            "is not on chencang",
        ),
    ],
)
def test_urls_a_site_cannot_fetch_are_refused_with_a_reason(urls, url, reason):
    with pytest.raises(UrlError, match=reason):
        urls.check_fetchable(url)
