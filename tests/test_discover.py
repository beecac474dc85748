"""newsarchive discover: county sites' replicas found and checked from their own pages, written as
profiles that `sites` lists and a crawl archives exactly the replica's articles with; refusals."""

from __future__ import annotations

import json
import subprocess
import threading
import tomllib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.cli import FAST, RECORD_FIELDS, export, newsarchive
from tests.replica.process import ReplicaProcess


def discover(*args: str) -> subprocess.CompletedProcess[str]:
    """`newsarchive discover ARGS`, without the polite delay between requests."""
    return newsarchive("discover", *args, "--delay", "0")


def sites() -> dict[str, dict]:
    done = newsarchive("sites", "--json")
    assert done.returncode == 0, done.stderr
    return {site["name"]: site for site in json.loads(done.stdout)}


@pytest.fixture
def profiles(tmp_path, monkeypatch) -> Path:
    """A profile folder of the test's own on the profile path; the machine's user folder out."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    monkeypatch.setenv("NEWSARCHIVE_PROFILE_PATH", str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return folder


def given_url(replica: ReplicaProcess, given: str) -> str:
    """The URL discover is given: a path on the replica, or a URL of the real host (upper case,
    a port) that reaches the replica through $http_proxy."""
    return given if given.startswith("http") else replica.url(given)


# Sites that differ: column depth (two levels, one), the URL given (a section, the home page,
# a list page, the real host spelled in capitals with a port, through a proxy), list template,
# scheme (taibai: https) and host (weibin: no www.); and the columns checked, in order (the
# section given first: it holds no list, and its page links the news column).
SITES = [
    pytest.param(
        "chencang", "datastore", "/col8173/", ["/col8173/", "/col8173/col8174/"],
        id="two-levels-section-url-datastore",
    ),
    pytest.param(
        "meixian", "B", "http://Www.MeiXian.GOV.cn:8080/", ["/col8264/"],
        id="one-level-host-spelling-B",
    ),
    pytest.param("taibai", "A", "/", ["/col6606/col6620/"], id="https-origin-home-A"),
    pytest.param(
        "weibin", "B", "/col5196/col8115/index_1.html", ["/col5196/col8115/"],
        id="no-www-list-page-B",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("site", "template", "given", "checked"), SITES)
def test_a_discovered_profile_is_listed_and_crawls_the_sites_articles(
    site, template, given, checked, profiles, tmp_path, monkeypatch
):
    with ReplicaProcess(site=site, template=template, host="127.0.0.3") as replica:
        truth = replica.truth()
        with monkeypatch.context() as proxied:
            if given.startswith("http"):
                proxied.setenv("http_proxy", replica.base_url)
                proxied.delenv("no_proxy", raising=False)
                proxied.delenv("NO_PROXY", raising=False)
            done = discover(given_url(replica, given), "--json")
        assert done.returncode == 0, done.stderr
        found = json.loads(done.stdout)
        written = profiles / f"{site}.toml"
        assert found["written"] == str(written)
        profile = tomllib.loads(written.read_text(encoding="utf-8"))
        assert profile["origin"] == found["origin"] == truth["canonical_origin"]
        assert profile["listing"]["paths"] == [truth["list_path"]] == [found["chosen"]]
        assert profile["verified"] is True and profile["extends"] == "baoji-platform"
        # Every column checked before the chosen one failed; the chosen one read its articles.
        assert [check["path"] for check in found["checks"]] == checked
        *failed, chosen = found["checks"]
        assert all(check["problem"] for check in failed) and chosen["verified"]
        assert [a["read"] for a in chosen["articles"]] == [True, True, True]
        if given.startswith("http"):  # the URL's spelling of the host is kept as an alias
            assert "http://www.meixian.gov.cn:8080" in profile["aliases"]

        listed = sites()[site]
        assert (listed["origin"], listed["lists"]) == (truth["canonical_origin"], [found["chosen"]])
        assert listed["verified"] is True and listed["evidence"] == profile["evidence"]

        db = tmp_path / "archive.db"
        crawled = newsarchive("crawl", site, "--base-url", replica.base_url, *FAST, db=db)
        assert crawled.returncode == 0, crawled.stderr
        archived = {r["url"]: {name: r[name] for name in RECORD_FIELDS} for r in export(db)}
        expected = {a["url"]: {name: a[name] for name in RECORD_FIELDS} for a in truth["articles"]}
        assert archived == expected


def test_discover_passes_by_the_columns_not_named_like_news_and_asks_little(profiles):
    with ReplicaProcess(site="meixian", host="127.0.0.4") as replica:
        done = discover(replica.url("/"), "--json")
        assert done.returncode == 0, done.stderr
        found = json.loads(done.stdout)
        columns = {c["path"]: c for c in found["columns"]}
        assert columns["/col8265/"]["name"] == "通知公告" and not columns["/col8265/"]["news"]
        assert columns["/col8264/"]["news"] and "nav on /" in columns["/col8264/"]["found_on"]
        assert [check["path"] for check in found["checks"]] == ["/col8264/"]
        asked = [r["path"] for r in replica.requests()["requests"]]
        # robots.txt, the home page, the list page and three articles: one request each.
        assert found["requests"] == len(asked) == 6
        assert asked[:3] == ["/robots.txt", "/", "/col8264/"] and "/col8265/" not in asked
        agents = {r["user_agent"] for r in replica.requests()["requests"]}
        assert len(agents) == 1 and agents.pop().startswith("newsarchive/")


def test_articles_the_platforms_rules_cannot_read_leave_the_profile_unverified(profiles):
    with ReplicaProcess(site="jintai", host="127.0.0.5", article_template="replatformed") as r:
        done = discover(r.url("/"))
    assert done.returncode == 1, done.stderr
    assert "NOT verified" in done.stdout and "did not read" in done.stdout
    profile = tomllib.loads((profiles / "jintai.toml").read_text(encoding="utf-8"))
    assert profile["listing"]["paths"] == ["/col6845/col6850/"]
    assert (profile["verified"], profile["confidence"]) == (False, "low")
    assert "the platform's rules did not read its published_at, body" in profile["evidence"]
    assert sites()["jintai"]["verified"] is False


def test_the_default_folder_is_the_users_and_the_origin_can_be_given(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSARCHIVE_PROFILE_PATH", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    with ReplicaProcess(site="qianyang", host="127.0.0.6") as replica:
        done = discover(replica.url("/"))
        assert done.returncode == 0, done.stderr
        written = tmp_path / "config" / "newsarchive" / "profiles" / "qianyang.toml"
        assert f"wrote {written}" in done.stdout
        assert f"--base-url {replica.base_url}" in done.stdout
        assert sites()["qianyang"]["evidence"].startswith("newsarchive discover")

        printed = discover(replica.url("/"), "--origin", "HTTPS://QianYang.gov.cn:443", "-o", "-")
    assert printed.returncode == 0, printed.stderr
    profile = tomllib.loads(printed.stdout)  # the profile alone on standard output
    assert profile["origin"] == "https://qianyang.gov.cn"
    assert "http://www.qianyang.gov.cn" in profile["aliases"]
    assert "printed the profile" in printed.stderr


def test_an_existing_profile_file_is_replaced_only_with_force(profiles):
    existing = profiles / "longxian.toml"
    existing.write_text("# mine\n", encoding="utf-8")
    with ReplicaProcess(site="longxian", host="127.0.0.7") as replica:
        refused = discover(replica.url("/"), "--output", str(existing))
        assert refused.returncode == 2 and "--force" in refused.stderr
        assert replica.requests()["requests"] == []  # refused before any request
        assert discover(replica.url("/")).returncode == 2  # the default file: the same one
        assert existing.read_text(encoding="utf-8") == "# mine\n"
        forced = discover(replica.url("/"), "--force")
    assert forced.returncode == 0, forced.stderr
    assert tomllib.loads(existing.read_text(encoding="utf-8"))["verified"] is True


PLAIN_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="SiteName" content="某某市人民政府"><meta name="SiteDomain" content="www.example.gov.cn">
<title>某某市人民政府</title></head><body>
<div class="nav"><a href="/">首页</a><a href="/xwzx/">新闻中心</a><a href="/tzgg/">通知公告</a></div>
<ul><li><a href="/xwzx/202512/t20251201_1.html">市政府召开常务会议</a></li></ul></body></html>
"""

# A site of the platform whose list page also holds a side list in template A's markup, which the
# platform tries first: its articles are in template B's.
SIDE_LIST_SITE = {
    "/": '<html><head><meta name="SiteDomain" content="www.example.gov.cn"></head><body>'
    '<div class="nav"><a href="/col7/">县域要闻</a></div></body></html>',
    "/col7/": '<html><head><meta name="ColumnName" content="县域要闻"></head><body>'
    '<div class="xx_list"><ul><li><a href="/about.html">网站简介</a></li></ul></div>'
    '<ul><div class="default_pgContainer">'
    + "".join(
        f'<li><a href="/col7/202512/t2025120{n}_{n}.html">第{n}条新闻</a><b>2025-12-0{n}</b></li>'
        for n in (1, 2, 3)
    )
    + '</div></ul><script>createPageHTML(1, 0, "index", "html");</script></body></html>',
    **{
        f"/col7/202512/t2025120{n}_{n}.html": '<html><head><meta charset="utf-8">'
        f'<meta name="PubDate" content="2025-12-0{n} 09:30"></head><body>'
        f'<div class="hdpd2"><h2>第{n}条新闻</h2></div><div id="Zoom">'
        f"<p>县里第{n}次召开会议，研究部署冬季安全生产工作。</p></div></body></html>"
        for n in (1, 2, 3)
    },
}


def page_server(pages: dict[str, str]) -> tuple[ThreadingHTTPServer, str]:
    """A small site on loopback serving `pages` by path (404 elsewhere: robots.txt too)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = pages.get(self.path)
            body = (page or "<html><body>404</body></html>").encode()
            self.send_response(200 if page else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture
def serve() -> Iterator[Callable[[dict[str, str]], str]]:
    started: list[ThreadingHTTPServer] = []

    def start(pages: dict[str, str]) -> str:
        server, url = page_server(pages)
        started.append(server)
        return url

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def test_a_list_template_the_platform_tries_late_is_written_first(profiles, serve):
    done = discover(serve(SIDE_LIST_SITE), "--json")
    assert done.returncode == 0, done.stderr
    (check,) = json.loads(done.stdout)["checks"]
    assert (check["template"], check["template_first"], check["listed"]) == ("B", False, 3)
    profile = tomllib.loads((profiles / "example.toml").read_text(encoding="utf-8"))
    assert [t["name"] for t in profile["listing"]["templates"]] == ["B", "A", "datastore"]
    assert profile["origin"] == "http://www.example.gov.cn" and profile["verified"] is True
    assert sites()["example"]["lists"] == ["/col7/"]


def test_a_page_of_an_unknown_platform_is_one_sentence_and_nothing_written(profiles, serve):
    done = discover(serve({"/": PLAIN_PAGE}))
    assert done.returncode == 65
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1
    assert "is not on a platform newsarchive knows (baoji-platform)" in done.stderr
    assert list(profiles.iterdir()) == []


def test_an_unreachable_url_is_exit_69(profiles, closed_port):
    done = discover(f"http://127.0.0.1:{closed_port}/")
    assert done.returncode == 69
    assert done.stderr.startswith("Error: Cannot reach") and done.stderr.count("\n") == 1
    assert list(profiles.iterdir()) == []


def test_a_malformed_url_or_name_is_exit_2(profiles):
    assert discover("ftp://www.meixian.gov.cn/").returncode == 2
    assert discover("http://www.meixian.gov.cn/", "--name", "generic-x").returncode == 2
    assert discover("http://www.meixian.gov.cn/", "--output", "x.txt").returncode == 2
