"""Compression (issue 15): per-site Zstandard dictionaries, payloads stored with them or as deltas
of the previous payload of their URL, version text and search segments packed, and a search
index without positions.

- compression_dictionary: a site's dictionaries (archive.dictionaries), immutable.
- blob.dictionary_id, base_sha256, depth: a blob's form (archive.blobs). Added in place, without
  foreign-key constraints (SQLite adds none in place), kept right by the write path. Blobs
  already stored keep their zlib form until a compaction (archive.compaction) re-encodes them.
- version.body, version.body_html, text_segment.text, and capture.headers, version.provenance
  (their JSON text): packed (archive.packing). SQLite keeps a packed value as a BLOB in the same
  column; PostgreSQL's columns become bytea (the text they hold, as UTF-8; the latest_version
  view is made again around the change).
- On SQLite the search index is made again with detail=none and no prefix index (archive.search):
  a sixth of its size; queries longer than a pair are checked against the segments' text.
- similarity_band is keyed by (band, key, version_id), its own index (WITHOUT ROWID on SQLite):
  the id and the separate index on (band, key) go.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from archive import codec, packing
from archive.blobs import Reader, compress
from archive.search import fold, pairs

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS_TABLE = "segment_fts"
FTS_BEFORE = "content='', prefix='7'"
FTS_AFTER = "content='', detail=none"
SEGMENT = sa.table(
    "text_segment", sa.column("id", sa.Integer), sa.column("text"), sa.column("folded", sa.Text)
)
PACKED = (("version", "body"), ("version", "body_html"), ("text_segment", "text"))
PACKED_JSON = (("capture", "headers"), ("version", "provenance"))
# As revision 0005 made it.
LATEST_VERSION = """
CREATE VIEW latest_version AS
SELECT p.current_url AS url, s.name AS site, p.state AS state, p.is_listed AS is_listed,
       v.number AS version, v.created_at AS captured_at, v.title AS title,
       v.published_at AS published_at, v.source AS source, v.editor AS editor,
       v.author AS author, v."column" AS "column", v.body AS body, v.doc_id AS doc_id,
       v.classes AS classes
FROM page p
JOIN site s ON s.id = p.site_id
JOIN version v ON v.page_id = p.id
WHERE v.number = (SELECT max(latest.number) FROM version latest WHERE latest.page_id = p.id)
"""


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "compression_dictionary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("zstd_id", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_compression_dictionary_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compression_dictionary")),
        sa.UniqueConstraint("zstd_id", name=op.f("uq_compression_dictionary_zstd_id")),
    )
    op.create_index(
        "ix_compression_dictionary_site_id_kind",
        "compression_dictionary",
        ["site_id", "kind"],
        unique=False,
    )
    op.add_column("blob", sa.Column("dictionary_id", sa.Integer(), nullable=True))
    op.add_column("blob", sa.Column("base_sha256", sa.String(length=64), nullable=True))
    op.add_column("blob", sa.Column("depth", sa.Integer(), server_default="0", nullable=False))
    _bands_keyed()
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        _index_without_positions(connection)
    else:
        _packed_columns_as_bytes()


def _create_bands(name: str, *, keyed: bool) -> None:
    """similarity_band's table as `keyed` (0012) or with its id (0003), named `name`. Keyed, its
    key columns come first: SQLite 3.40's integrity_check reports a WITHOUT ROWID table's other
    NOT NULL columns as NULL when they are declared before its key."""
    versions = sa.Column("version_id", sa.Integer(), nullable=False)
    pages = sa.Column("page_id", sa.Integer(), nullable=False)
    bands = sa.Column("band", sa.Integer(), nullable=False)
    keys = sa.Column("key", sa.BigInteger(), nullable=False)
    references = [
        sa.ForeignKeyConstraint(["page_id"], ["page.id"], name="fk_similarity_band_page_id_page"),
        sa.ForeignKeyConstraint(
            ["version_id"], ["version.id"], name="fk_similarity_band_version_id_version"
        ),
    ]
    if keyed:
        key = sa.PrimaryKeyConstraint("band", "key", "version_id", name="pk_similarity_band")
        op.create_table(
            name, bands, keys, versions, pages, *references, key, sqlite_with_rowid=False
        )
    else:
        identity = sa.Column("id", sa.Integer(), nullable=False)
        key = sa.PrimaryKeyConstraint("id", name="pk_similarity_band")
        op.create_table(name, identity, versions, pages, bands, keys, *references, key)


def _bands_keyed(keyed: bool = True) -> None:
    """similarity_band keyed by its band (0012), or with an id and an index (0003), its rows
    kept. SQLite makes the table again (nothing refers to it); PostgreSQL alters it in place."""
    if op.get_bind().dialect.name != "sqlite":
        _server_bands_keyed(keyed)
        return
    if keyed:
        op.drop_index("ix_similarity_band_band_key", table_name="similarity_band")
    _create_bands("similarity_band_new", keyed=keyed)
    copied = "version_id, page_id, band, key"
    op.execute(f"INSERT INTO similarity_band_new ({copied}) SELECT {copied} FROM similarity_band")
    op.drop_table("similarity_band")
    op.rename_table("similarity_band_new", "similarity_band")
    if not keyed:
        op.create_index("ix_similarity_band_band_key", "similarity_band", ["band", "key"])


def _server_bands_keyed(keyed: bool) -> None:
    op.execute("ALTER TABLE similarity_band DROP CONSTRAINT pk_similarity_band")
    if keyed:
        op.drop_index("ix_similarity_band_band_key", table_name="similarity_band")
        op.execute("ALTER TABLE similarity_band DROP COLUMN id")
        key = "band, key, version_id"
    else:
        op.execute("ALTER TABLE similarity_band ADD COLUMN id SERIAL")
        op.create_index("ix_similarity_band_band_key", "similarity_band", ["band", "key"])
        key = "id"
    op.execute(f"ALTER TABLE similarity_band ADD CONSTRAINT pk_similarity_band PRIMARY KEY ({key})")


def _packed_columns_as_bytes() -> None:
    op.execute("DROP VIEW latest_version")
    for table, column in PACKED:
        op.execute(
            f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE bytea '
            f"USING convert_to(\"{column}\", 'UTF8')"
        )
    for table, column in PACKED_JSON:
        op.execute(
            f"ALTER TABLE {table} ALTER COLUMN {column} TYPE bytea "
            f"USING convert_to({column}::text, 'UTF8')"
        )
    op.execute(LATEST_VERSION)


def _index_without_positions(connection: sa.Connection) -> None:
    op.execute(f"DROP TABLE {FTS_TABLE}")
    op.execute(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(bi, {FTS_AFTER})")
    insert = sa.text(f"INSERT INTO {FTS_TABLE}(rowid, bi) VALUES (:id, :bi)")
    for segment_id, text, folded in connection.execute(sa.select(SEGMENT)):
        connection.execute(insert, {"id": segment_id, "bi": pairs(folded or fold(text))})


def downgrade() -> None:
    """Downgrade schema: payloads back to zlib and text unpacked first, as revision 0011 reads
    them (every byte kept: each form decodes to the bytes it was made of)."""
    connection = op.get_bind()
    _payloads_as_zlib(connection)
    _texts_unpacked(connection)
    if connection.dialect.name == "sqlite":
        op.execute(f"DROP TABLE {FTS_TABLE}")
        op.execute(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(bi, {FTS_BEFORE})")
        insert = sa.text(f"INSERT INTO {FTS_TABLE}(rowid, bi) VALUES (:id, :bi)")
        for segment_id, text, folded in connection.execute(sa.select(SEGMENT)):
            connection.execute(insert, {"id": segment_id, "bi": pairs(folded or fold(text))})
    else:
        op.execute("DROP VIEW latest_version")
        for table, column in PACKED:
            op.execute(
                f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE text '
                f"USING convert_from(\"{column}\", 'UTF8')"
            )
        for table, column in PACKED_JSON:
            op.execute(
                f"ALTER TABLE {table} ALTER COLUMN {column} TYPE json "
                f"USING convert_from({column}, 'UTF8')::json"
            )
        op.execute(LATEST_VERSION)
    _bands_keyed(keyed=False)
    op.execute("ALTER TABLE blob DROP COLUMN depth")
    op.execute("ALTER TABLE blob DROP COLUMN base_sha256")
    op.execute("ALTER TABLE blob DROP COLUMN dictionary_id")
    op.drop_index("ix_compression_dictionary_site_id_kind", table_name="compression_dictionary")
    op.drop_table("compression_dictionary")


def _payloads_as_zlib(connection: sa.Connection) -> None:
    reader = Reader(connection)
    blob = sa.table(
        "blob",
        sa.column("sha256", sa.String),
        sa.column("compression", sa.String),
        sa.column("data", sa.LargeBinary),
    )
    shas = connection.scalars(
        sa.select(blob.c.sha256).where(blob.c.compression.not_in(["zlib", "none"]))
    ).all()
    for sha256 in shas:  # a delta's base is read before it is re-encoded: the reader keeps it
        compression, data = compress(reader.read(sha256))
        update = sa.update(blob).where(blob.c.sha256 == sha256)
        connection.execute(update.values(compression=compression, data=data))


def _texts_unpacked(connection: sa.Connection) -> None:
    dictionaries = {
        zstd_id: codec.ZstdDict(bytes(content))
        for zstd_id, content in connection.execute(
            sa.text("SELECT zstd_id, content FROM compression_dictionary")
        )
    }
    for table, column in (*PACKED, *PACKED_JSON):
        rows = sa.table(table, sa.column("id", sa.Integer), sa.column(column))
        packed = connection.execute(sa.select(rows.c.id, rows.c[column])).all()
        for row_id, stored in packed:
            if packing.is_packed(stored):
                value = packing.unpack_using(stored, dictionaries.__getitem__)
                stored_as = value if connection.dialect.name == "sqlite" else value.encode()
                update = sa.update(rows).where(rows.c.id == row_id)
                connection.execute(update.values({column: stored_as}))
