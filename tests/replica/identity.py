"""Which county site the replica plays: host, column path and ids, names (one per process)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

# The replica process reads its site from this variable before its modules load; the command
# line's --site sets it and starts the process again (tests/replica/__main__.py).
SITE_VARIABLE = "NEWSARCHIVE_REPLICA_SITE"


@dataclass(frozen=True)
class SiteIdentity:
    """What differs between the county sites of one platform; the markup is the platform's."""

    name: str  # the site's profile name
    origin: str  # the real site's scheme and host
    column_path: str  # the news column: /colA/colB/ (two levels) or /colA/ (one)
    column_name: str
    county: str  # 陈仓区, 眉县: the site's name is 宝鸡市{county}人民政府
    site_code: str  # 网站标识码
    unit_id: str  # the list's <div id>: the platform's unit of the column

    @property
    def site_name(self) -> str:
        return f"宝鸡市{self.county}人民政府"

    @property
    def host(self) -> str:
        return urlsplit(self.origin).hostname or ""

    @property
    def column_id(self) -> str:
        return self.column_path.rstrip("/").rsplit("/col", 1)[-1]

    @property
    def section_path(self) -> str | None:
        """The 新闻中心 above a two-level column; None for a one-level column."""
        parts = self.column_path.strip("/").split("/")
        return f"/{parts[0]}/" if len(parts) > 1 else None


# Hosts and column paths as the project's profiles give them (docs/sites.md); the names are the
# ones public sources give. Differences discover must cope with: column ids, one level (meixian)
# or two, https (taibai), a host without www (weibin).
SITES = {
    site.name: site
    for site in (
        SiteIdentity("chencang", "http://www.chencang.gov.cn", "/col8173/col8174/", "陈仓要闻", "陈仓区", "6103040001", "12730"),
        SiteIdentity("meixian", "http://www.meixian.gov.cn", "/col8264/", "政务要闻", "眉县", "6103260001", "13011"),
        SiteIdentity("taibai", "https://www.taibai.gov.cn", "/col6606/col6620/", "县内新闻", "太白县", "6103310001", "12950"),
        SiteIdentity("jintai", "http://www.jintai.gov.cn", "/col6845/col6850/", "政务要闻", "金台区", "6103030001", "12811"),
        SiteIdentity("linyou", "http://www.linyou.gov.cn", "/col1571/col1574/", "新闻", "麟游县", "6103290001", "12604"),
        SiteIdentity("qianyang", "http://www.qianyang.gov.cn", "/col4533/col4540/", "千阳要闻", "千阳县", "6103280001", "12702"),
        SiteIdentity("longxian", "http://www.longxian.gov.cn", "/col4225/col4227/", "新闻", "陇县", "6103270001", "12677"),
        SiteIdentity("weibin", "http://weibin.gov.cn", "/col5196/col8115/", "新闻", "渭滨区", "6103020001", "12745"),
    )
}  # fmt: skip


def current() -> SiteIdentity:
    """The site this process plays (chencang unless the variable names another)."""
    name = os.environ.get(SITE_VARIABLE) or "chencang"
    if name not in SITES:
        raise SystemExit(f"the replica plays no site {name!r}: one of {', '.join(SITES)}")
    return SITES[name]


IDENTITY = current()
