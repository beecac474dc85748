"""Re-platformed article pages: which article template is in force on a day, and its markup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from .identity import IDENTITY
from .model import LIST_PATH, SHANGHAI, Article, Content, Options
from .pages import (
    COLUMN,
    SECTION_LINK,
    SECTION_PATH,
    SITE_NAME,
    XXGK_COLUMN,
    attr,
    charset_meta,
    description,
    document,
    file_href,
    paragraph_html,
    segment_html,
    slot,
    text,
)

PLATFORM = "platform"
REPLATFORMED = "replatformed"
ARTICLE_TEMPLATES = (PLATFORM, REPLATFORMED)
SETTING_KEYS = ("article_template", "replatform_day")


@dataclass(frozen=True)
class TemplateSettings:
    """Which article template the site serves on which day.

    Contract: on day d the re-platformed template is in force when article_template is
    "replatformed" (every day) or replatform_day is set and d >= replatform_day; otherwise the
    platform one. The defaults (platform, no day) leave every page and document as it was."""

    article_template: str = PLATFORM
    replatform_day: int | None = None

    def __post_init__(self) -> None:
        if self.article_template not in ARTICLE_TEMPLATES:
            raise ValueError(f"article_template must be one of {', '.join(ARTICLE_TEMPLATES)}")
        day = self.replatform_day
        if day is not None and (isinstance(day, bool) or not isinstance(day, int) or day < 1):
            raise ValueError("replatform_day must be a whole number >= 1, or null")

    @classmethod
    def from_payload(cls, payload: object) -> TemplateSettings:
        """A POST /_replica/template body: the whole setting, a key left out takes its default."""
        if not isinstance(payload, dict):
            raise ValueError("expected a JSON object")
        unknown = set(payload) - set(SETTING_KEYS)
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}")
        return cls(**payload)

    @property
    def is_default(self) -> bool:
        """No re-platform configured: the truth and /_replica/day keep their original shape."""
        return self == TemplateSettings()

    @property
    def first_day(self) -> int | None:
        """The first day the re-platformed template is in force (None: never)."""
        return 1 if self.article_template == REPLATFORMED else self.replatform_day

    def in_force(self, day: int) -> str:
        first = self.first_day
        return REPLATFORMED if first is not None and day >= first else PLATFORM

    def page_modified(self, content_modified: datetime, day: int, options: Options) -> datetime:
        """Last-Modified of an article page: a re-platformed page was regenerated at 00:00 of
        the template's first day, so with replatform_day a client holding the platform page
        gets no 304 by date. Its ETag always differs from the platform page's: a switch at run
        time (which moves no date) is seen through If-None-Match."""
        if self.in_force(day) == PLATFORM:
            return content_modified
        regenerated = datetime.combine(options.date_of(self.first_day or 1), time(0), SHANGHAI)
        return max(content_modified, regenerated)

    def document(self, day: int) -> dict[str, object]:
        """GET /_replica/template: the setting and the template in force on the current day."""
        return {
            "article_template": self.article_template,
            "replatform_day": self.replatform_day,
            "in_force": self.in_force(day),
        }


# --- the re-platformed template: another CMS's markup around the same content

HEADER = (
    '<header class="site-header"><div class="container">'
    f'<a class="logo" href="/">{SITE_NAME}</a>'
    '<div class="header-tools"><a href="javascript:void(0)" class="care-mode">关怀版</a> '
    '<a href="javascript:void(0)" class="barrier-free">无障碍</a></div>'
    f'<nav class="main-nav"><a href="/">网站首页</a>{SECTION_LINK}'
    f'<a href="{LIST_PATH}">{COLUMN}</a>'
    '<a href="http://www.baoji.gov.cn/" target="_blank">宝鸡市人民政府</a></nav></div></header>'
)

NEWS_TRAIL = (
    f"{SECTION_LINK} &raquo; " if SECTION_PATH else ""
) + f'<a href="{LIST_PATH}">{COLUMN}</a>'
XXGK_TRAIL = f"<span>{XXGK_COLUMN}</span>"

ARTICLE_TOOLS = (
    '<div class="article-tools"><div class="share-bar">分享：'
    '<a href="javascript:void(0)" class="icon-wechat">微信</a> '
    '<a href="javascript:void(0)" class="icon-weibo">微博</a> '
    '<a href="javascript:void(0)" class="icon-qzone">QQ空间</a></div>'
    '<div class="print-close"><a href="javascript:window.print();">【打印】</a> '
    '<a href="javascript:window.close();">【关闭】</a></div>'
    '<div class="qr-code"><canvas id="qrcode"></canvas><p>扫一扫在手机打开当前页</p></div></div>'
)

FOOTER = (
    '<footer class="site-footer"><div class="container">'
    f"<p>版权所有：{SITE_NAME}　主办：{SITE_NAME}办公室</p>"
    f'<p>网站标识码：{IDENTITY.site_code}　<a href="https://beian.miit.gov.cn/" target="_blank">'
    '陕ICP备05003186号-1</a>　<a href="http://www.beian.gov.cn/" target="_blank">'
    "陕公网安备 61030402000123号</a></p>"
    "<p>建议使用1920×1080分辨率、IE10以上版本浏览器</p></div></footer>"
)

DATE_FORM = "%Y年%m月%d日 %H:%M:%S"  # always with seconds: they are :00 where the platform hid them


def related_item(href: str, title: str, day: str) -> str:
    """One 相关文章 entry: a link and its date (filled into the related_dated slot)."""
    return f'<li><a href="{attr(href)}" target="_blank">{text(title)}</a><span class="date">{day}</span></li>'


def article_page(article: Article, content: Content, platform_template: str) -> str:
    """The article after the CMS was replaced: same content (title, body, images, attachments,
    date, source) in other markup; platform_template (news | xxgk | legacy) names the page the
    platform would serve, whose body markup the migration kept as it was."""
    return document(
        replatformed_head(article, content),
        replatformed_body(article, content, platform_template),
    )


def replatformed_head(article: Article, content: Content) -> list[str]:
    """No government metas (ArticleTitle, PubDate, ContentSource, ColumnName, SiteName …)."""
    return [
        charset_meta(article),
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        '<meta name="renderer" content="webkit">',
        f"<title>{text(content.title)} - {SITE_NAME}</title>",
        f'<meta name="keywords" content="{attr(content.keywords)}">',
        f'<meta name="description" content="{attr(description(content))}">',
        '<link rel="stylesheet" href="/css/style.css">',
        '<script src="/js/common.js"></script>',
    ]


def replatformed_body(article: Article, content: Content, platform_template: str) -> list[str]:
    """Header, crumbs, h1.article-title, div.article-meta, div.article-content, attachments,
    tools, 相关文章 (dated), footer."""
    return [
        HEADER,
        '<div class="container article-page">',
        crumbs(platform_template),
        f'<article class="article-detail" data-id="{article.doc_id}">',
        f'<h1 class="article-title">{text(content.title)}</h1>',
        meta_line(content),
        '<div class="article-content">',
        *body_paragraphs(article, content, platform_template),
        "</div>",
        attachment_list(content),
        ARTICLE_TOOLS,
        "</article>",
        f'<div class="related-articles"><h3>相关文章</h3><ul>{slot("related_dated")}</ul></div>',
        "</div>",
        FOOTER,
        f'<script>window.articleInfo = {{id: "{article.doc_id}", channel: "{IDENTITY.column_id}"}};</script>',
    ]


def crumbs(platform_template: str) -> str:
    trail = NEWS_TRAIL if platform_template == "news" else XXGK_TRAIL
    return f'<div class="crumbs">您所在的位置：<a href="/">首页</a> &raquo; {trail} &raquo; <span>正文</span></div>'


def meta_line(content: Content) -> str:
    """Date first (发布日期, Chinese form with seconds), then 信息来源, then the view counter."""
    return (
        '<div class="article-meta">'
        f'<span class="pub-time">发布日期：{content.published_at.strftime(DATE_FORM)}</span> '
        f'<span class="source">信息来源：{text(content.source)}</span> '
        f'<span class="hits">浏览量：<em id="hits">{slot("views")}</em></span></div>'
    )


def body_paragraphs(article: Article, content: Content, platform_template: str) -> list[str]:
    """The body HTML as each platform template wrote it: the editor's markup is content, and a
    migration carries it over unchanged (so the body text equals the truth's)."""
    if platform_template == "legacy":
        return [
            f"<p>{''.join(segment_html(s) for s in p.segments)}</p>" for p in content.paragraphs
        ]
    if platform_template == "xxgk":
        return [paragraph_html(p, "none", False) for p in content.paragraphs]
    features = article.features
    return [paragraph_html(p, features.indent, features.cache_bust) for p in content.paragraphs]


def attachment_list(content: Content) -> str:
    if not content.attachments:
        return ""
    items = "".join(
        f'<li><a href="{attr(file_href(f.name))}" target="_blank">{text(f.text)}</a></li>'
        for f in content.attachments
    )
    return f'<div class="article-attachments"><p class="attach-title">附件下载：</p><ul>{items}</ul></div>'
