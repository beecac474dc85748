"""Compression (issue 15 §2, §3), on both engines: every payload and text comes back exactly from
whatever form it is stored in (zlib, alone, with its site's dictionary, a delta of the previous
payload of its URL), delta chains stay short, each site trains its own dictionaries, an archive
the old code wrote is compacted without a byte lost (its WARC export the same, byte for byte),
and verify finds a damaged frame."""

from __future__ import annotations

import dataclasses
import json
import random
import threading
import zlib
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import insert, select, text

from archive import blobs, codec, dictionaries, packing
from archive.blobs import DELTA, MAX_DEPTH, NONE, ZLIB, ZSTD, Form, Reader
from archive.compaction import compact
from archive.compression import CHECK_EVERY
from archive.database import HEAD_REVISION, alembic_config, open_archive, upgrade_archive
from archive.fixity import verify
from archive.models import Capture, Page, Site, TextSegment, Version
from archive.query import payload
from archive.records import Outcome, PageKind
from archive.store import Store
from tests.cli import newsarchive
from tests.test_store import RECORD, T0, URL, observe

WORDS = [
    "区委",
    "召开",
    "会议",
    "工作",
    "推进",
    "发展",
    "经济",
    "项目",
    "建设",
    "群众",
    "乡村",
    "振兴",
    "安全",
    "生产",
    "检查",
    "部署",
    "落实",
    "要求",
    "全面",
    "深入",
]
# Pages enough for a site's dictionaries: trained at SAMPLES, looked for every CHECK_EVERY pages.
ENOUGH = dictionaries.SAMPLES + CHECK_EVERY + 4
NAV = "".join(f'<li><a href="/col{n}/">栏目{n}</a></li>' for n in range(40))


def article_text(n: int, site: str = "chencang") -> tuple[str, str]:
    """Title and body of article `n` of `site`: a site's wording, every article its own."""
    rng = random.Random(f"{site}:{n}")
    title = "".join(rng.choice(WORDS) for _ in range(6))
    paragraphs = ["".join(rng.choice(WORDS) for _ in range(40)) + "。" for _ in range(5)]
    return title, "\n".join(paragraphs)


def page_html(site: str, title: str, body: str, clock: str = "2025-12-01 08:00") -> bytes:
    """A page of `site` in its template: its markup is what its pages share."""
    paragraphs = "".join(f"<p>{line}</p>" for line in body.split("\n"))
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}-{site}</title>'
        f'<link rel="stylesheet" href="/{site}/css/main.css"></head><body class="{site}">'
        f'<div class="header"><ul class="nav">{NAV}</ul></div><div class="main">'
        f'<h1 class="title">{title}</h1><div id="Zoom" class="trs_editor_view">{paragraphs}</div>'
        f'</div><div class="footer">{site} 版权所有 <span class="clock">{clock}</span></div>'
        "</body></html>"
    ).encode()


def article(site: str, n: int, *, at_hours: int = 0, payload: bytes | None = None):
    """An observation of article `n` of `site` (a second site has its own host and doc ids)."""
    title, body = article_text(n, site)
    url = URL.replace("_160040", f"_{n:06d}").replace("chencang", site)
    record = dataclasses.replace(
        RECORD,
        title=title,
        body=body,
        body_html="".join(f"<p>{line}</p>" for line in body.split("\n")),
        doc_id=f"{n:06d}",
    )
    return dataclasses.replace(
        observe(record, at=T0 + timedelta(hours=at_hours), payload=payload),
        site=site,
        site_origin=f"http://www.{site}.gov.cn",
        url=url,
        doc_id=f"{n:06d}",
        payload=payload if payload is not None else page_html(site, title, body),
        headers=[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Server", f"{site}-web/2.4"),
            ("ETag", f'"{n:08x}-{site}"'),
            ("Last-Modified", f"Mon, 01 Dec 2025 {n % 24:02d}:00:00 GMT"),
        ],
    )


def listing(site: str, clock: str, at_hours: int):
    """The site's list page, whose footer clock differs at each capture."""
    lines = "".join(f"<li>{article_text(n)[0]}</li>" for n in range(30))
    html = page_html(site, "陈仓要闻", "", clock).replace(b"<p></p>", lines.encode())
    return dataclasses.replace(
        observe(at=T0 + timedelta(hours=at_hours), verdict=Outcome.LISTING),
        site=site,
        url=f"http://www.{site}.gov.cn/col8173/col8174/index.html",
        kind=PageKind.LIST,
        doc_id=None,
        payload=html,
    )


def crawl_site(store: Store, site: str, articles: int) -> None:
    for n in range(articles):
        store.record(article(site, n))


@pytest.fixture
def archive(archive_url):
    opened = open_archive(archive_url)
    yield opened
    opened.close()


def rows(archive, sql: str, **params):
    with archive.engine.connect() as connection:
        return connection.execute(text(sql), params).all()


def payloads_of(archive) -> dict[str, bytes]:
    """Every capture's payload as the archive reads it back, by SHA-256."""
    digests = [r[0] for r in rows(archive, "SELECT DISTINCT payload_sha256 FROM capture")]
    return {sha256: payload(archive, sha256) for sha256 in digests if sha256}


# --- the write path


def test_every_form_reads_back_the_bytes_it_was_made_of(archive):
    """Alone before the site has a dictionary and with it after (the samples re-encoded then),
    raw when nothing is gained, a delta of the URL's previous payload; and zlib, as archives
    written before revision 0012 hold it."""
    store = Store(archive)
    sent = {}
    for n in range(ENOUGH):
        observation = article("chencang", n)
        store.record(observation)
        sent[blobs.sha256_hex(observation.payload)] = observation.payload
    noise = random.Random(7).randbytes(3000)
    store.record(article("chencang", 9999, payload=noise))
    sent[blobs.sha256_hex(noise)] = noise
    for hour in range(1, 4):
        changed = listing("chencang", f"2025-12-01 0{hour}:00", hour)
        store.record(changed)
        sent[blobs.sha256_hex(changed.payload)] = changed.payload
    old = b"<html>" + "旧的存档".encode() * 200 + b"</html>"
    with archive.engine.begin() as connection:
        blobs.put(connection, blobs.sha256_hex(old), len(old), Form(ZLIB, zlib.compress(old)), T0)
    sent[blobs.sha256_hex(old)] = old
    with archive.engine.connect() as connection:
        reader = Reader(connection)
        assert {sha256: reader.read(sha256) for sha256 in sent} == sent
    assert payloads_of(archive) == {k: v for k, v in sent.items() if v is not old}
    forms = {
        (compression, dictionary is not None)
        for compression, dictionary in rows(archive, "SELECT compression, dictionary_id FROM blob")
    }
    # No frame without the dictionary is left: the samples stored before it were re-encoded.
    assert forms == {(ZSTD, True), (NONE, False), (DELTA, False), (ZLIB, False)}
    assert verify(archive).ok


def test_a_frame_decodes_only_as_written_one_frame_with_its_own_dictionary():
    """The archive writes one frame per value: bytes after it (a second frame, junk) are damage
    and do not decode, nor does a frame read with another dictionary; a thread of its own reads
    the same bytes (decompressors are kept per thread)."""
    texts = [f"陈仓区第{n}次会议召开，研究部署{n % 7}项工作。".encode() * 8 for n in range(400)]
    dictionary = codec.train(texts, 4096)
    other = codec.train(list(reversed(texts[:200])), 2048)
    assert dictionary is not None and other is not None
    frame = codec.compress(texts[3], dictionary)
    assert codec.decompress(frame, dictionary) == texts[3]
    for damaged, used in ((frame + frame, dictionary), (frame + b"\0", dictionary), (frame, other)):
        with pytest.raises(codec.ZstdError):
            codec.decompress(damaged, used)
    read: list[bytes] = []
    reader = threading.Thread(target=lambda: read.append(codec.decompress(frame, dictionary)))
    reader.start()
    reader.join()
    assert read == [texts[3]]


def test_a_delta_chain_is_at_most_max_depth_long_and_every_capture_reads_back(archive):
    store = Store(archive)
    sent = []
    for hour in range(2 * MAX_DEPTH + 5):
        capture = listing("chencang", f"clock {hour:04d}", hour)
        store.record(capture)
        sent.append(capture.payload)
    stored = rows(
        archive,
        "SELECT b.compression, b.depth, length(b.data), b.size FROM capture c"
        " JOIN blob b ON b.sha256 = c.payload_sha256 ORDER BY c.id",
    )
    depths = [depth for _, depth, _, _ in stored]
    assert depths == [n % (MAX_DEPTH + 1) for n in range(len(sent))]
    assert [compression for compression, *_ in stored].count(DELTA) == len(sent) - 3
    # A capture that differs by its clock costs a few dozen bytes, not its page.
    deltas = [stored_size for compression, _, stored_size, _ in stored if compression == DELTA]
    assert max(deltas) < 64 < min(size for *_, size in stored) / 20
    assert [payload(archive, blobs.sha256_hex(sent_payload)) for sent_payload in sent] == sent


def test_each_site_trains_its_own_dictionaries(archive):
    store = Store(archive)
    for site in ("chencang", "meixian"):
        crawl_site(store, site, ENOUGH)
    trained = rows(
        archive,
        "SELECT s.name, d.kind, d.zstd_id FROM compression_dictionary d"
        " JOIN site s ON s.id = d.site_id ORDER BY s.name, d.kind",
    )
    assert [(name, kind) for name, kind, _ in trained] == [
        (site, kind) for site in ("chencang", "meixian") for kind in ("meta", "payload", "text")
    ]
    # Every page payload is in its own site's dictionary (the samples re-encoded with it).
    misfiled = rows(
        archive,
        "SELECT count(*) FROM blob b JOIN capture c ON c.payload_sha256 = b.sha256"
        " JOIN page p ON p.id = c.page_id JOIN compression_dictionary d ON d.site_id = p.site_id"
        " AND d.kind = 'payload' WHERE b.dictionary_id IS NULL OR b.dictionary_id != d.id",
    )
    assert misfiled == [(0,)]
    text_ids = {name: zstd_id for name, kind, zstd_id in trained if kind == "text"}
    with archive.engine.connect() as connection:
        bodies = connection.execute(
            select(Site.name, packed_body())
            .select_from(Version)
            .join(Page, Page.id == Version.page_id)
            .join(Site, Site.id == Page.site_id)
        ).all()
    assert {(name, codec.dictionary_id(bytes(body))) for name, body in bodies} == {
        (name, zstd_id) for name, zstd_id in text_ids.items()
    }
    # Every capture's headers in its site's dictionary of small JSON values: the chain digests
    # are of the headers themselves, and verify finds them intact.
    meta_ids = {name: zstd_id for name, kind, zstd_id in trained if kind == "meta"}
    with archive.engine.connect() as connection:
        headers = connection.execute(
            select(Site.name, packing.raw(Capture.__table__.c.headers))
            .select_from(Capture)
            .join(Page, Page.id == Capture.page_id)
            .join(Site, Site.id == Page.site_id)
        ).all()
    assert {(name, codec.dictionary_id(bytes(stored))) for name, stored in headers} == set(
        meta_ids.items()
    )
    assert verify(archive).ok


def packed_body():
    """version.body as stored (a frame), not as its column type reads it."""
    return packing.raw(Version.__table__.c.body)


def test_packed_text_reads_back_as_it_was_recorded(archive):
    store = Store(archive)
    crawl_site(store, "chencang", dictionaries.SAMPLES // 2 + 2)
    with archive.reading() as session:
        versions = session.scalars(select(Version).order_by(Version.id)).all()
        stored = session.execute(select(packed_body()).order_by(Version.id)).scalars().all()
    expected = [article("chencang", n).extracted.record for n in range(len(versions))]
    assert [(v.title, v.body, v.body_html) for v in versions] == [
        (r.title, r.body, r.body_html) for r in expected
    ]
    assert all(packing.is_packed(value) for value in stored)
    segments = rows(archive, "SELECT count(*) FROM text_segment")
    assert segments[0][0] > 0


# --- an archive the old code wrote, compacted


def old_archive(url: str) -> None:
    """An archive as newsarchive wrote it before revision 0012: written by this code, then
    taken back to 0011, whose downgrade stores every payload zlib-compressed alone and every
    text unpacked, as the old code did; then upgraded again (its rows stay in those forms)."""
    archive = open_archive(url)
    store = Store(archive)
    crawl_site(store, "chencang", 60)
    for hour in range(1, 6):
        store.record(listing("chencang", f"2025-12-01 0{hour}:00", hour))
    store.record(article("chencang", 3, at_hours=7, payload=page_html("chencang", "改", "正文")))
    config = alembic_config(archive.engine)
    with archive.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0011")
    forms = {r[0] for r in rows(archive, "SELECT compression FROM blob")}
    archive.close()
    assert forms <= {ZLIB, NONE}
    assert upgrade_archive(url) == ("0011", HEAD_REVISION)


def warc(url: str, tmp_path, name: str) -> bytes:
    out = tmp_path / name
    done = newsarchive("export", "--format", "warc", "--output", str(out), "--db", url)
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def test_compact_reencodes_an_old_archive_and_loses_no_byte(archive_url, tmp_path):
    old_archive(archive_url)
    archive = open_archive(archive_url)
    try:
        before_payloads = payloads_of(archive)
        before_stored = rows(archive, "SELECT sum(length(data)) FROM blob")[0][0]
        assert {r[0] for r in rows(archive, "SELECT compression FROM blob")} <= {ZLIB, NONE}
    finally:
        archive.close()
    exported = warc(archive_url, tmp_path, "before.warc.gz")
    done = newsarchive("db", "compact", "--batch", "7", "--json", "--db", archive_url)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["dictionaries_trained"] == 3 and report["deltas"] >= 4
    assert report["blobs_reencoded"] == report["blobs_examined"] and report["damaged"] == []
    archive = open_archive(archive_url)
    try:
        assert payloads_of(archive) == before_payloads
        after_stored = rows(archive, "SELECT sum(length(data)) FROM blob")[0][0]
        assert after_stored < before_stored / 2
        assert ZLIB not in {r[0] for r in rows(archive, "SELECT compression FROM blob")}
        assert verify(archive).ok
    finally:
        archive.close()
    assert warc(archive_url, tmp_path, "after.warc.gz") == exported
    again = json.loads(newsarchive("db", "compact", "--json", "--db", archive_url).stdout)
    assert (again["blobs_reencoded"], again["texts_repacked"], again["dictionaries_trained"]) == (
        0,
        0,
        0,
    )


def test_a_compaction_stopped_midway_leaves_every_row_readable_and_carries_on(archive_url):
    old_archive(archive_url)
    archive = open_archive(archive_url)
    before = payloads_of(archive)

    class Stop(Exception):
        pass

    def stop(progress):
        raise Stop

    with pytest.raises(Stop):
        compact(archive, batch=10, report=stop)
    forms = [r[0] for r in rows(archive, "SELECT compression FROM blob")]
    assert ZLIB in forms and ZSTD in forms  # some batches done, the rest not
    assert payloads_of(archive) == before and verify(archive).ok
    done = compact(archive, batch=10)
    assert done.blobs_reencoded > 0 and not done.damaged
    assert ZLIB not in {r[0] for r in rows(archive, "SELECT compression FROM blob")}
    assert payloads_of(archive) == before and verify(archive).ok
    archive.close()


# --- verify


def damage(archive, sql: str, flip_at: int = 10):
    """Flip one byte of the value the query selects (its table, key column, key and value)."""
    table, key_column, key, column, value = rows(archive, sql)[0]
    changed = bytearray(value)
    changed[min(flip_at, len(changed) - 1)] ^= 0x40
    with archive.engine.begin() as connection:
        connection.execute(
            text(f"UPDATE {table} SET {column} = :value WHERE {key_column} = :key"),
            {"value": bytes(changed), "key": key},
        )
    return key


def test_verify_finds_a_flipped_byte_in_a_dictionary_frame(archive):
    crawl_site(Store(archive), "chencang", ENOUGH)
    sha256 = damage(
        archive,
        "SELECT 'blob', 'sha256', sha256, 'data', data FROM blob"
        " WHERE dictionary_id IS NOT NULL ORDER BY sha256 LIMIT 1",
    )
    report = verify(archive)
    assert [(p.kind, p.detail.split()[4]) for p in report.problems] == [("blob", sha256)]


def test_verify_finds_a_damaged_delta_and_what_depends_on_it(archive):
    store = Store(archive)
    for hour in range(4):
        store.record(listing("chencang", f"clock {hour}", hour))
    chain = rows(archive, "SELECT sha256 FROM blob ORDER BY depth")
    damage(
        archive,
        "SELECT 'blob', 'sha256', sha256, 'data', data FROM blob WHERE depth = 1",
        flip_at=8,
    )
    report = verify(archive)
    damaged = sorted(p.detail.split()[4] for p in report.problems)
    assert damaged == sorted(sha256 for (sha256,) in chain[1:])  # the delta and the two after it


def test_verify_finds_damaged_packed_text_and_a_changed_dictionary(archive):
    crawl_site(Store(archive), "chencang", ENOUGH)
    damage(archive, "SELECT 'version', 'id', id, 'body', body FROM version ORDER BY id LIMIT 1")
    damage(
        archive,
        "SELECT 'compression_dictionary', 'id', id, 'content', content"
        " FROM compression_dictionary WHERE kind = 'payload'",
        flip_at=5,  # in its id: no frame made with it decodes now
    )
    kinds = {problem.kind for problem in verify(archive).problems}
    assert {"version", "dictionary", "blob"} <= kinds


# --- search segments: short keys


def test_a_segment_is_found_by_its_short_key_its_full_one_or_stored_apart(archive):
    """A segment's key is 16 hex digits of its text's SHA-256; one stored under its full key
    (by archives before revision 0012) is found by that; a short key held by another text (as
    if their SHA-256 began alike) leaves the new text stored under its full key."""
    _, body = article_text(1)
    old, clash, new = body.split("\n")[:3]
    full = {line: blobs.sha256_hex(line.encode()) for line in (old, clash)}
    segments = TextSegment.__table__
    with archive.engine.begin() as connection:
        for key, line in ((full[old], old), (full[clash][:16], "另一段文字，前缀相同。")):
            connection.execute(insert(segments).values(sha256=key, text=line, folded=line))
    Store(archive).record(article("chencang", 1))
    assert rows(archive, "SELECT count(*) FROM text_segment WHERE sha256 = :k", k=full[old]) == [
        (1,)
    ]
    held = rows(
        archive,
        "SELECT s.sha256 FROM version_segment vs JOIN text_segment s ON s.id = vs.segment_id"
        " WHERE vs.position IN (0, 1, 2) AND vs.field = 'body' ORDER BY vs.position",
    )
    assert [key for (key,) in held] == [
        full[old],
        full[clash],
        blobs.sha256_hex(new.encode())[:16],
    ]


def test_a_dictionary_made_in_a_rolled_back_transaction_is_never_used(archive):
    """The store trains a site's dictionaries in the transaction of the page that reached
    enough samples; if that transaction fails, the dictionaries are gone, and no later payload
    or text may name them. (The store's transactions tell its compression of a rollback.)"""
    store = Store(archive)
    crawl_site(store, "chencang", dictionaries.SAMPLES)
    before = rows(archive, "SELECT kind FROM compression_dictionary")  # text: 128 versions did

    class Failed(Exception):
        pass

    with pytest.raises(Failed), store._writing() as connection:
        for kind in (dictionaries.PAYLOAD, dictionaries.TEXT, dictionaries.META):
            store.compression._wait[(1, kind)] = 0  # look (and train) at the next item
        store._write(connection, article("chencang", 9000), None)
        assert rows_in(connection, "SELECT count(*) FROM compression_dictionary") == [(3,)]
        raise Failed
    assert rows(archive, "SELECT kind FROM compression_dictionary") == before
    crawl_site(store, "chencang", dictionaries.SAMPLES + CHECK_EVERY + 4)
    assert verify(archive).ok
    named = rows(
        archive,
        "SELECT count(*) FROM blob WHERE dictionary_id IS NOT NULL"
        " AND dictionary_id NOT IN (SELECT id FROM compression_dictionary)",
    )
    assert named == [(0,)]


def rows_in(connection, sql: str):
    return connection.execute(text(sql)).all()
