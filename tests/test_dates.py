"""Publication dates in every form the platform writes, read as Asia/Shanghai times."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from crawler.extract.dates import parse_date

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-07 10:07", "2024-02-07T10:07:00+08:00"),
        ("2024-02-07 10:07:33", "2024-02-07T10:07:33+08:00"),
        ("2026-01-15 09:21:43", "2026-01-15T09:21:43+08:00"),
        ("\u00a02024-02-07 10:07", "2024-02-07T10:07:00+08:00"),
        ("２０２４－０２－０７　１０：０７", "2024-02-07T10:07:00+08:00"),
        ("2024-02-07 10：07", "2024-02-07T10:07:00+08:00"),
        ("2023年3月10日 15:30", "2023-03-10T15:30:00+08:00"),
        ("2023年3月10日15:30", "2023-03-10T15:30:00+08:00"),
        ("2023年03月10日", "2023-03-10T00:00:00+08:00"),
        ("[2024-02-07]", "2024-02-07T00:00:00+08:00"),
        ("2024/2/7 10:07", "2024-02-07T10:07:00+08:00"),
        ("发布时间：2025-12-01 17:40", "2025-12-01T17:40:00+08:00"),
        ("发布时间: 2025-11-30 17:10", "2025-11-30T17:10:00+08:00"),
        ("日期：2023年3月10日", "2023-03-10T00:00:00+08:00"),
        ("2023年3月10日 星期五", "2023-03-10T00:00:00+08:00"),
    ],
)
def test_forms_the_site_writes(text, expected):
    assert parse_date(text, SHANGHAI).isoformat() == expected


@pytest.mark.parametrize("text", ["", "   ", "发布时间", "2024-02", "浏览次数：12"])
def test_text_without_a_full_date_is_none(text):
    assert parse_date(text, SHANGHAI) is None
