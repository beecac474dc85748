"""Page outcome codes: page.last_outcome stored as one character, as capture.outcome is since 0014
(archive.columns.OutcomeCode). A page's row is rewritten with every check; as a word its last
outcome grew it 9 bytes the first time a page answered "not-modified" after "new", and on a
quiet day after a first crawl that was a tenth of the archive's growth. The column stays
VARCHAR(16); the downgrade writes the words back.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# archive.columns.OUTCOME_CODES as of this revision (a migration keeps its own copy).
CODES = {
    "content": "a",
    "file": "b",
    "new": "c",
    "changed": "d",
    "reparsed": "e",
    "unchanged": "f",
    "not-modified": "g",
    "not-found": "h",
    "soft-404": "i",
    "blocked": "j",
    "truncated": "k",
    "redirected": "l",
    "moved": "m",
    "error": "n",
    "listing": "o",
    "rejected": "p",
    "mirror-copy": "q",
}
_SET = sa.text("UPDATE page SET last_outcome = :new WHERE last_outcome = :old")


def upgrade() -> None:
    """Upgrade schema."""
    _convert(CODES)


def downgrade() -> None:
    """Downgrade schema."""
    _convert({code: word for word, code in CODES.items()})


def _convert(mapping: dict[str, str]) -> None:
    """Every page's last outcome through `mapping`; refuses (leaving the archive as it was) a
    value it does not know."""
    connection = op.get_bind()
    found = set(connection.scalars(sa.text("SELECT DISTINCT last_outcome FROM page")))
    unknown = sorted(found - set(mapping))
    if unknown:
        raise RuntimeError(f"page outcomes {unknown} are none revision 0015 knows")
    for old, new in mapping.items():
        connection.execute(_SET, {"old": old, "new": new})
