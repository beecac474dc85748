"""History at scale: the indexes the history commands' queries need on a large archive (the
synthetic 200,000-page archive of bench/history.py). Indexes only; no data changes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As archive.models.REVISIT_SCHEDULE_COLUMNS says them (a migration keeps its own copy).
SCHEDULE_COLUMNS = (
    "site_id",
    "kind",
    "state",
    "last_outcome",
    "last_captured_at",
    "published_at",
    "first_seen_at",
    "last_changed_at",
)


def upgrade() -> None:
    """Upgrade schema."""
    # export walks the pages in URL order: no sort of every latest version's wide row.
    op.create_index("ix_page_current_url", "page", ["current_url"], unique=False)
    # The crawl planner's due-revisits query decides from these columns alone (archive.schedule);
    # the index begins as ix_page_site_id_kind did, which it replaces.
    op.create_index("ix_page_revisit_schedule", "page", list(SCHEDULE_COLUMNS), unique=False)
    op.drop_index("ix_page_site_id_kind", table_name="page")
    # changes looks for degraded runs (drift) in its window: found, not scanned for.
    op.create_index(
        "ix_crawl_run_status_finished_at", "crawl_run", ["status", "finished_at"], unique=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_crawl_run_status_finished_at", table_name="crawl_run")
    op.create_index("ix_page_site_id_kind", "page", ["site_id", "kind"], unique=False)
    op.drop_index("ix_page_revisit_schedule", table_name="page")
    op.drop_index("ix_page_current_url", table_name="page")
