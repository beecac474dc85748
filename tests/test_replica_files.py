"""The replica's files: validators and 304s on every W0…/P0… file, and the --files articles whose
images and attachments are hard for an archiver (shared, changed, vanished, oversized, lying
Content-Type, off-site, many types), checked against the truth's files."""

from __future__ import annotations

import hashlib
import http.client
import io
import zipfile
from contextlib import closing
from datetime import datetime, time, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import pytest
from parsel import Selector

from tests.replica import assets
from tests.replica.process import ReplicaProcess
from tests.test_replica import (
    CST,
    ORIGIN,
    canonical_url,
    clean,
    fetch,
    local_path,
    masked,
    node_text,
    whole_list,
)

ROLES = ("shared", "changed", "vanished", "oversized", "lying_type", "offsite", "typed")
OVERSIZED = 30 * 1024 * 1024
SIGNATURES = {
    "jpg": b"\xff\xd8\xff",
    "png": b"\x89PNG\r\n\x1a\n",
    "pdf": b"%PDF-",
    "doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    "xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    "wps": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    "docx": b"PK\x03\x04",
    "xlsx": b"PK\x03\x04",
    "zip": b"PK\x03\x04",
    "rar": b"Rar!\x1a\x07\x01\x00",
}
TYPES = {
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "wps": "application/vnd.ms-works",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "rar": "application/vnd.rar",
}


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def etag(digest: str) -> str:
    return f'"{digest[:20]}"'


def extension(url: str) -> str:
    return url.rsplit(".", 1)[1]


def file_urls(truth: dict) -> list[str]:
    """Every image and attachment URL of the truth's articles."""
    urls = [u for a in truth["articles"] for u in a["images"]]
    return urls + [f["url"] for a in truth["articles"] for f in a["attachments"]]


def references(html: str, page_url: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The image srcs and the attachment (href, text) pairs of an article page, as written."""
    page = Selector(text=html)
    images = page.css("#Zoom img::attr(src)").getall()
    links = [
        (a.attrib["href"], clean(node_text(a))) for a in page.css("#Zoom .public-annex-downLoad a")
    ]
    return images, links


def stream(site: ReplicaProcess, path: str, headers: dict[str, str] | None = None):
    """GET path reading the body in pieces: (status, headers, length read, SHA-256, first bytes,
    last bytes); the body itself is never kept."""
    parts = urlsplit(site.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    with closing(connection):
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        digest, length, head, tail = hashlib.sha256(), 0, b"", b""
        while piece := response.read(256 * 1024):
            digest.update(piece)
            length += len(piece)
            head = head or piece[:64]
            tail = (tail + piece)[-64:]
        return response.status, response.headers, length, digest.hexdigest(), head, tail


# --- validators on every file (the default site)


def test_every_file_carries_validators_and_answers_304(replica: ReplicaProcess) -> None:
    truth = replica.truth()
    urls = file_urls(truth)
    urls.append(ORIGIN + "/col8173/col8174/202512/P020251201000000000042.pdf")  # any such name
    assert len(urls) > 20
    for url in urls:
        path = local_path(url)
        page = fetch(replica, path)
        assert page.status == 200, url
        assert page.body.startswith(SIGNATURES[extension(url)]), url
        assert page.headers["ETag"] == etag(sha256(page.body)), url
        assert int(page.headers["Content-Length"]) == len(page.body)
        modified = parsedate_to_datetime(page.headers["Last-Modified"])
        name = path.rsplit("/", 1)[1]  # W0/P0, YYYYMMDD, twelve digits: 06:MM that day
        day = datetime.strptime(name[2:10], "%Y%m%d").date()
        assert modified == datetime.combine(day, time(6, int(name[10:22]) % 60), CST), url
        tag, when = page.headers["ETag"], page.headers["Last-Modified"]
        for headers in (
            {"If-None-Match": tag},
            {"If-None-Match": f'"other", W/{tag}'},
            {"If-None-Match": "*"},
            {"If-Modified-Since": when},
            {"If-Modified-Since": format_datetime(modified + timedelta(days=3), usegmt=True)},
        ):
            not_modified = fetch(replica, path, headers)
            assert not_modified.status == 304 and not_modified.body == b"", (url, headers)
            assert not_modified.headers["ETag"] == tag
            assert not_modified.headers["Last-Modified"] == when
            assert "Content-Length" not in not_modified.headers
        earlier = format_datetime(modified - timedelta(seconds=1), usegmt=True)
        for headers in (
            {"If-None-Match": '"other"'},
            {"If-Modified-Since": earlier},
            {"If-None-Match": '"other"', "If-Modified-Since": when},  # If-None-Match wins
        ):
            assert fetch(replica, path, headers).body == page.body, (url, headers)
        head = fetch(replica, path, method="HEAD")
        assert head.status == 200 and head.body == b""
        assert head.headers["Content-Length"] == str(len(page.body))
        assert head.headers["ETag"] == tag
    cache_busted = next(u for a in truth["articles"] for u in a["images"])
    busted = fetch(replica, local_path(cache_busted) + "?v=123456")
    assert busted.headers["ETag"] == fetch(replica, local_path(cache_busted)).headers["ETag"]


def test_without_files_the_truth_has_none_and_their_urls_are_404(
    replica: ReplicaProcess, files_site: ReplicaProcess
) -> None:
    truth = replica.truth()
    assert truth["files"] == []
    files_site.set_day(1)
    with_files = files_site.truth()
    for key in ("articles", "changes", "mirrors", "duplicates", "invalid", "hostile"):
        assert with_files[key] == truth[key], key
    for entry in with_files["files"]:
        if entry["path"] and extension(entry["url"]) not in ("jpg", "png", "pdf", "docx", "xls"):
            assert fetch(replica, entry["path"]).status == 404, entry["url"]
    article_paths = {local_path(u) for e in with_files["files"] for u in e["articles"]}
    for path in article_paths:
        assert fetch(replica, path).status == 404
    default_list = [canonical_url(i["url"]) for i in whole_list(replica)]
    files_list = [canonical_url(i["url"]) for i in whole_list(files_site)]
    added = {ORIGIN + path for path in article_paths}
    assert len(added) == 8  # the ninth is published on day 3
    assert len(files_list) == len(default_list) + len(added)
    assert [url for url in files_list if url not in added] == default_list


# --- --files


@pytest.fixture(scope="module")
def files_site(replica_factory) -> ReplicaProcess:
    """The default site with --files; tests switch its day (always set the day you need)."""
    return replica_factory(files=True)


def by_role(truth: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in truth["files"]:
        found.setdefault(entry["role"], []).append(entry)
    return found


def test_truth_lists_every_file_the_articles_reference(files_site: ReplicaProcess) -> None:
    for day in (1, 3):
        files_site.set_day(day)
        truth = files_site.truth()
        roles = by_role(truth)
        assert list(roles) == list(ROLES)
        counts = {role: len(entries) for role, entries in roles.items()}
        assert counts == {
            "shared": 1,
            "changed": 2,
            "vanished": 1,
            "oversized": 1,
            "lying_type": 2,
            "offsite": 1,
            "typed": 8,
        }
        listed = {canonical_url(i["url"]) for i in whole_list(files_site)}
        seen: dict[str, list[str]] = {}
        texts: dict[tuple[str, str], str] = {}
        for article in {u for e in truth["files"] for u in e["articles"]}:
            assert article in listed, article
            page = fetch(files_site, local_path(article))
            assert page.status == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
            images, links = references(page.text(), article)
            for written in [*images, *(href for href, _ in links)]:
                seen.setdefault(urljoin(article, written), []).append(article)
            for href, text in links:
                texts[(urljoin(article, href), article)] = text
        assert {e["url"]: sorted(e["articles"]) for e in truth["files"]} == {
            url: sorted(articles) for url, articles in seen.items()
        }
        for entry in truth["files"]:
            assert len(entry["references"]) == len(entry["articles"])
            for reference in entry["references"]:
                assert urljoin(reference["article"], reference["src"]) == entry["url"]
                if reference["kind"] == "attachment":
                    assert texts[(entry["url"], reference["article"])] == reference["text"]
                    assert reference["text"].endswith("." + extension(entry["url"]))
                else:
                    assert reference["text"] is None
            assert entry["url"] == (ORIGIN + entry["path"] if entry["path"] else entry["url"])
            assert entry["role"] in ROLES


def test_served_bytes_match_the_truth_every_day(files_site: ReplicaProcess) -> None:
    for day in range(1, 8):
        files_site.set_day(day)
        truth = files_site.truth()
        for entry in truth["files"]:
            if entry["path"] is None:
                continue
            if entry["sha256"] is None:
                gone = fetch(files_site, entry["path"])
                assert gone.status == 404 and "页面不存在" in gone.text(), (day, entry["url"])
                assert entry["size"] is None and entry["content_type_served"] is None
                continue
            if entry["role"] == "oversized":
                page = fetch(files_site, entry["path"], method="HEAD")
                assert int(page.headers["Content-Length"]) == entry["size"] == OVERSIZED
            else:
                page = fetch(files_site, entry["path"])
                assert sha256(page.body) == entry["sha256"], (day, entry["url"])
                assert len(page.body) == entry["size"]
                assert page.body.startswith(SIGNATURES[extension(entry["url"])])
            assert page.status == 200
            assert page.headers["Content-Type"] == entry["content_type_served"]
            assert page.headers["ETag"] == etag(entry["sha256"])
            assert entry["changes"][-1]["sha256"] == entry["sha256"]
            assert [c["day"] for c in entry["changes"]] == sorted(
                c["day"] for c in entry["changes"]
            )
            assert all(c["day"] <= day for c in entry["changes"])


def test_the_shared_image_is_one_url_in_three_articles(files_site: ReplicaProcess) -> None:
    files_site.set_day(2)
    (early,) = by_role(files_site.truth())["shared"]
    assert len(early["articles"]) == 2  # the third is published on day 3
    files_site.set_day(3)
    (shared,) = by_role(files_site.truth())["shared"]
    assert shared["articles"][:2] == early["articles"] and len(shared["articles"]) == 3
    written = [r["src"] for r in shared["references"]]
    name = shared["path"].rsplit("/", 1)[1]
    assert written == [f"./{name}", shared["path"], shared["url"]]  # three spellings, one URL
    for article, src in zip(shared["articles"], written, strict=True):
        html = fetch(files_site, local_path(article)).text()
        assert f'<img src="{src}"' in html
        assert references(html, article)[0] == [src]
    bodies = {
        fetch(files_site, local_path(urljoin(a, s))).body
        for a, s in zip(shared["articles"], written, strict=True)
    }
    assert len(bodies) == 1 and sha256(bodies.pop()) == shared["sha256"]
    assert shared["changes"] == [{"day": 1, "sha256": shared["sha256"]}]


def test_changed_files_get_new_bytes_on_their_days_and_the_page_stays(
    files_site: ReplicaProcess,
) -> None:
    files_site.set_day(1)
    image, pdf = by_role(files_site.truth())["changed"]
    assert (extension(image["url"]), extension(pdf["url"])) == ("jpg", "pdf")
    assert image["articles"] == pdf["articles"]
    article = local_path(image["articles"][0])
    page = fetch(files_site, article)
    seen = {}
    for day in range(1, 8):
        files_site.set_day(day)
        assert masked(fetch(files_site, article).body) == masked(page.body), day
        assert fetch(files_site, article).headers["ETag"] == page.headers["ETag"]
        seen[day] = {url: fetch(files_site, local_path(url)) for url in (image["url"], pdf["url"])}
    image_days = [sha256(seen[day][image["url"]].body) for day in range(1, 8)]
    pdf_days = [sha256(seen[day][pdf["url"]].body) for day in range(1, 8)]
    first, second = image_days[0], image_days[2]
    assert first != second
    assert image_days == [first, first, second, second, second, first, first]  # day 6: back
    assert pdf_days[:3] == [pdf_days[0]] * 3 and pdf_days[3:] == [pdf_days[3]] * 4
    assert pdf_days[0] != pdf_days[3]

    def modified(day: int, url: str) -> datetime:
        return parsedate_to_datetime(seen[day][url].headers["Last-Modified"])

    assert modified(1, image["url"]) == modified(2, image["url"]) < modified(3, image["url"])
    assert modified(3, image["url"]) < modified(6, image["url"])  # re-uploaded: a newer date
    assert modified(3, pdf["url"]) < modified(4, pdf["url"])
    assert modified(4, pdf["url"]).astimezone(CST).date().isoformat() == "2025-12-04"
    # A client holding day 1's validators: a 200 on the change day, and again a 304 on day 6,
    # by ETag (the same bytes) but not by date (they were uploaded again).
    old_tag = seen[1][image["url"]].headers["ETag"]
    old_date = seen[1][image["url"]].headers["Last-Modified"]
    expectations = {2: 304, 3: 200, 5: 200, 6: 304}
    for day, status in expectations.items():
        files_site.set_day(day)
        path = local_path(image["url"])
        assert fetch(files_site, path, {"If-None-Match": old_tag}).status == status, day
    assert fetch(files_site, path, {"If-Modified-Since": old_date}).status == 200
    files_site.set_day(7)
    image_now, pdf_now = by_role(files_site.truth())["changed"]
    assert image_now["changes"] == [
        {"day": 1, "sha256": first},
        {"day": 3, "sha256": second},
        {"day": 6, "sha256": first},
    ]
    assert pdf_now["changes"] == [
        {"day": 1, "sha256": pdf_days[0]},
        {"day": 4, "sha256": pdf_days[3]},
    ]
    files_site.set_day(3)
    assert by_role(files_site.truth())["changed"][0]["changes"] == image_now["changes"][:2]


def test_the_vanished_image_answers_404_from_its_day(files_site: ReplicaProcess) -> None:
    files_site.set_day(4)
    (before,) = by_role(files_site.truth())["vanished"]
    article = local_path(before["articles"][0])
    page_before = fetch(files_site, article)
    image = fetch(files_site, before["path"])
    assert image.status == 200 and sha256(image.body) == before["sha256"]
    assert before["missing_from_day"] is None
    for day in (5, 6, 30):
        files_site.set_day(day)
        (after,) = by_role(files_site.truth())["vanished"]
        gone = fetch(files_site, before["path"])
        assert gone.status == 404 and gone.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "ETag" not in gone.headers
        tagged = {"If-None-Match": image.headers["ETag"]}
        assert fetch(files_site, before["path"], tagged).status == 404
        assert after["missing_from_day"] == 5
        assert after["sha256"] is None and after["size"] is None
        assert after["changes"] == before["changes"] == [{"day": 1, "sha256": before["sha256"]}]
        page = fetch(files_site, article)
        assert (
            page.status == 200 and f'<img src="./{before["path"].rsplit("/", 1)[1]}"' in page.text()
        )
        assert page.headers["ETag"] == page_before.headers["ETag"]


def test_the_oversized_archive_is_30_mb_streamed(files_site: ReplicaProcess) -> None:
    files_site.set_day(1)
    (entry,) = by_role(files_site.truth())["oversized"]
    assert entry["size"] == OVERSIZED and entry["content_type_served"] == "application/zip"
    assert entry["references"][0]["text"].endswith(".zip")
    head = fetch(files_site, entry["path"], method="HEAD")
    assert head.headers["Content-Length"] == str(OVERSIZED) and head.body == b""
    assert head.headers["ETag"] == etag(entry["sha256"])
    files_site.reset_stats()
    files_site.reset_requests()
    status, headers, length, digest, first, last = stream(files_site, entry["path"])
    assert status == 200 and headers["Content-Length"] == str(OVERSIZED)
    assert length == OVERSIZED and digest == entry["sha256"]
    assert first.startswith(b"PK\x03\x04") and last[-22:].startswith(b"PK\x05\x06")
    stats = files_site.stats()
    assert stats["by_kind"]["asset"] == 1 and stats["bytes_sent"] == OVERSIZED
    assert files_site.requests()["requests"][-1]["path"] == entry["path"]
    not_modified = fetch(files_site, entry["path"], {"If-None-Match": headers["ETag"]})
    assert not_modified.status == 304 and not_modified.body == b""
    # A client that stops at a cap and hangs up does not disturb the server.
    parts = urlsplit(files_site.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    with closing(connection):
        connection.request("GET", entry["path"])
        response = connection.getresponse()
        assert len(response.read(1024 * 1024)) == 1024 * 1024
    assert fetch(files_site, entry["path"], method="HEAD").status == 200


def test_the_streamed_archive_is_a_valid_zip_of_exactly_its_size() -> None:
    for total in (200_000, 65536 * 3 + 130):
        data = b"".join(assets.stored_zip("label", total))
        assert len(data) == total
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None
            (info,) = archive.infolist()
            assert info.compress_type == zipfile.ZIP_STORED
    blob = assets.stored_zip_blob("label", 200_000)
    assert blob.sha256 == sha256(b"".join(blob.chunks())) and blob.length == 200_000


def test_lying_content_types(files_site: ReplicaProcess) -> None:
    files_site.set_day(1)
    image, pdf = by_role(files_site.truth())["lying_type"]
    assert image["articles"] == pdf["articles"]
    png = fetch(files_site, image["path"])
    assert png.headers["Content-Type"] == image["content_type_served"] == "text/html; charset=utf-8"
    assert image["real_type"] == "image/png" and image["url"].endswith(".png")
    assert png.body.startswith(SIGNATURES["png"]) and png.body.endswith(b"IEND\xaeB`\x82")
    document = fetch(files_site, pdf["path"])
    assert document.headers["Content-Type"] == pdf["content_type_served"]
    assert pdf["content_type_served"] == "application/octet-stream"
    assert pdf["real_type"] == "application/pdf" and pdf["url"].endswith(".pdf")
    assert document.body.startswith(b"%PDF-1.4") and document.body.endswith(b"%%EOF\n")


def test_the_offsite_image_is_referenced_and_not_served(files_site: ReplicaProcess) -> None:
    files_site.set_day(1)
    (entry,) = by_role(files_site.truth())["offsite"]
    parts = urlsplit(entry["url"])
    assert parts.scheme == "http" and parts.hostname.endswith(".invalid")
    assert entry["path"] is None and entry["sha256"] is None and entry["size"] is None
    assert entry["content_type_served"] is None and entry["real_type"] == "image/jpeg"
    assert entry["changes"] == [] and entry["missing_from_day"] is None
    html = fetch(files_site, local_path(entry["articles"][0])).text()
    assert f'<img src="{entry["url"]}"' in html
    assert fetch(files_site, parts.path).status == 404  # the replica does not serve its path


def test_typed_attachments_are_valid_enough_with_their_usual_types(
    files_site: ReplicaProcess,
) -> None:
    files_site.set_day(1)
    typed = by_role(files_site.truth())["typed"]
    assert [extension(e["url"]) for e in typed] == list(
        ("xls", "xlsx", "doc", "docx", "wps", "pdf", "zip", "rar")
    )
    assert len({e["articles"][0] for e in typed}) == 1
    html = fetch(files_site, local_path(typed[0]["articles"][0])).text()
    assert '<div class="public-annex-downLoad">附件：<a href="./P0' in html
    assert len({e["sha256"] for e in typed}) == len(typed)
    for entry in typed:
        kind = extension(entry["url"])
        page = fetch(files_site, entry["path"])
        assert page.headers["Content-Type"] == TYPES[kind] == entry["real_type"]
        assert entry["content_type_served"] == entry["real_type"]
        assert page.body.startswith(SIGNATURES[kind])
        if kind in ("docx", "xlsx", "zip"):
            with zipfile.ZipFile(io.BytesIO(page.body)) as archive:
                assert archive.testzip() is None
        (reference,) = entry["references"]
        assert reference["text"].startswith("2025年") and reference["text"].endswith(f".{kind}")
        assert f">{reference['text']}</a>" in html
        assert entry["path"].startswith("/col8173/col8174/202512/P020251201")


def test_file_requests_are_counted_as_assets_and_logged(files_site: ReplicaProcess) -> None:
    files_site.set_day(5)
    roles = by_role(files_site.truth())
    paths = [roles["shared"][0]["path"], roles["vanished"][0]["path"], roles["typed"][0]["path"]]
    files_site.reset_stats()
    files_site.reset_requests()
    statuses = [fetch(files_site, path).status for path in paths]
    tag = fetch(files_site, paths[0]).headers["ETag"]
    statuses.append(fetch(files_site, paths[0], {"If-None-Match": tag}).status)
    statuses.append(fetch(files_site, paths[2] + "?v=1", method="HEAD").status)
    assert statuses == [200, 404, 200, 304, 200]
    stats = files_site.stats()
    assert stats["by_kind"] == {"list": 0, "article": 0, "asset": 6, "other": 0}
    assert stats["by_status"] == {"200": 4, "304": 1, "404": 1}
    logged = [(r["method"], r["path"]) for r in files_site.requests()["requests"]]
    expected = [("GET", p) for p in paths] + [("GET", paths[0]), ("GET", paths[0])]
    assert logged == [*expected, ("HEAD", paths[2] + "?v=1")]
