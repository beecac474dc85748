"""The scripted default scenario: which article gets which event on which day."""

from __future__ import annotations

from dataclasses import dataclass

# Articles are named by their rank on day 1 (0 = newest initial article), or ("day", d, i) for
# the i-th newest article first published on day d. The README's scenario table mirrors this.
XXGK_RANK = 9  # the 信息公开-template article, linked from the 陈仓要闻 list
EMPTY_SOURCE_RANK = 6  # the one day-1 article with an empty 来源
META_LIES_RANK = 7  # declares utf-8 in its meta tag, bytes are GBK
# The legacy-URL article is the oldest initial article (rank articles - 1).

# Features the scripted edits need on their targets.
NEEDS_IMAGES = frozenset({15})
NEEDS_ATTACHMENTS = frozenset({17})
NEEDS_BODY_LINK = frozenset({19})

Target = int | tuple[str, int, int]

SCRIPT: tuple[tuple[int, Target, str, str | None], ...] = (
    # day, target, change kind, edit kind
    (2, 2, "edited", "title_corrected"),
    (2, 3, "edited", "paragraph_added"),
    (2, 5, "edited", "char_fixed"),
    (2, 8, "edited", "source_changed"),
    (2, 10, "deleted", None),
    (2, 12, "soft_404", None),
    (3, 13, "edited", "paragraph_removed"),
    (4, 14, "edited", "published_at_corrected"),
    (5, 15, "edited", "image_replaced"),
    (6, 16, "deleted", None),  # transient: back the next day
    (7, 16, "restored", None),
    (7, 17, "edited", "attachment_replaced"),
    (8, 18, "deleted", None),  # comes back on day 13
    (9, 19, "edited", "link_changed"),
    (10, 20, "edited", "cosmetic"),
    (11, 21, "deleted_410", None),
    (12, 22, "unlisted", None),
    (13, 18, "restored", None),
    (14, 23, "moved", None),
    (15, 24, "challenge", None),
    (16, 24, "restored", None),
    (16, 25, "truncated", None),
    (17, 25, "restored", None),
    (17, 26, "soft_404", None),
    (18, 27, "deleted", None),  # sustained
    (19, 28, "edited", "char_fixed"),
    (20, 29, "edited", "source_changed"),
    (20, 32, "unlisted", None),
    (21, 30, "edited", "title_corrected"),
    (22, 31, "edited", "paragraph_added"),
    (23, ("day", 3, 0), "edited", "paragraph_added"),  # 20 days after its publication
    (24, 33, "edited", "paragraph_removed"),
    (25, 32, "relisted", None),
    (26, 3, "edited", "char_fixed"),  # a second edit: version 3
    (27, 34, "server_error", None),  # a 500 for one day
    (28, 11, "edited", "published_at_corrected"),
    (28, 34, "restored", None),
    (29, 35, "redirect_home", None),  # a 302 to the home page for one day
    (30, 35, "restored", None),
)


@dataclass(frozen=True)
class ScriptedEvent:
    day: int
    target: Target
    kind: str
    edit: str | None


def scripted_events(days: int) -> list[ScriptedEvent]:
    """The script up to the last simulated day (a shorter timeline simply stops earlier)."""
    return [ScriptedEvent(*row) for row in SCRIPT if row[0] <= days]
