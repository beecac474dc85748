"""HTML markup of every page the replica serves; volatile parts are left as named slots."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from .identity import IDENTITY
from .model import CANONICAL_ORIGIN, LIST_PATH, Article, Content, Paragraph, Segment

SITE_NAME = IDENTITY.site_name
COLUMN = IDENTITY.column_name
# The 新闻中心 above a two-level column (a one-level column sits right under the home page).
SECTION_PATH = IDENTITY.section_path
SECTION_LINK = f'<a href="{SECTION_PATH}">新闻中心</a>' if SECTION_PATH else ""
SECTION_TRAIL = f" &gt; {SECTION_LINK}" if SECTION_PATH else ""
# 通知公告: a column of another kind beside the news one, linked from the home page and never
# served (its path answers 404): discover must pass it by for the news column.
NOTICE_PATH = f"{LIST_PATH.rstrip('/').rsplit('/col', 1)[0]}/col{int(IDENTITY.column_id) + 1}/"
XXGK_COLUMN = "政府信息公开"
TRUNCATE_AT = 28  # list anchors show at most 28 characters of the title, then "…"
SLOT = "\x00"  # pages are rendered with \x00name\x00 where a per-request value goes


def slot(name: str) -> str:
    return f"{SLOT}{name}{SLOT}"


def attr(text: str) -> str:
    return escape(text, quote=True)


def text(value: str) -> str:
    return escape(value, quote=False)


# --- shared blocks

UTF8_META = '<meta charset="utf-8">'
GBK_META = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'

TOP = (
    '<div class="top"><div class="w1200"><span>本网站支持IPv6</span>'
    '<a href="javascript:void(0)" class="zzms">长者模式</a> '
    '<a href="javascript:void(0)" class="wza">无障碍浏览</a></div></div>'
)

NAV = (
    '<div class="nav"><ul><li><a href="/">首页</a></li>'
    + (f"<li>{SECTION_LINK}</li>" if SECTION_PATH else "")
    + f'<li><a href="{LIST_PATH}">{COLUMN}</a></li>'
    + '<li><a href="http://www.baoji.gov.cn/" target="_blank">宝鸡市人民政府</a></li></ul></div>'
)

BREADCRUMB = (
    f'<div class="adress">当前位置：<a href="/">首页</a>{SECTION_TRAIL}'
    f' &gt; <a href="{LIST_PATH}">{COLUMN}</a></div>'
)

FOOTER = (
    f'<div class="footer"><p>主办单位：{SITE_NAME}办公室　承办单位：{IDENTITY.county}融媒体中心</p>'
    f'<p>网站标识码：{IDENTITY.site_code}　<a href="https://beian.miit.gov.cn/" target="_blank">'
    "陕ICP备05003186号-1</a>　陕公网安备 61030402000123号</p>"
    f'<p><span class="now">当前时间：{slot("now")}</span></p></div>'
)

SITE_METAS = (
    f'<meta name="SiteName" content="{SITE_NAME}">\n'
    f'<meta name="SiteDomain" content="{IDENTITY.host}">\n'
    f'<meta name="SiteIDCode" content="{IDENTITY.site_code}">'
)

SIDE = (
    f'<div class="side"><h3>相关新闻</h3><ul>{slot("related")}</ul>'
    f"<h3>热点</h3><ul>{slot('hot')}</ul></div>"
)


def document(head: list[str], body: list[str]) -> str:
    lines = ["<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", *head, "</head>", "<body>", *body]
    return "\n".join([line for line in lines if line] + ["</body>", "</html>", ""])


def charset_meta(article: Article) -> str:
    """GBK pages declare gb2312 in http-equiv; the lying page declares utf-8 over GBK bytes."""
    if article.features.charset_declared == "meta" and article.features.encoding == "gbk":
        return GBK_META
    return UTF8_META


# --- dates


def pub_date_meta(published: datetime, seconds: bool) -> str:
    return published.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


COLONS = {"fullwidth": "：", "ascii": ": ", "nbsp": "：&nbsp;", "seconds": "：", "chinese": "："}


def visible_time(published: datetime, variant: str) -> str:
    """The 发布时间 value in one of the five documented variants (with its colon)."""
    colon = COLONS[variant]
    if variant == "seconds":
        return f"发布时间{colon}{published:%Y-%m-%d %H:%M:%S}"
    if variant == "chinese":
        return f"发布时间{colon}{published.year}年{published.month}月{published.day}日 {published:%H:%M}"
    return f"发布时间{colon}{published:%Y-%m-%d %H:%M}"


# --- body


def segment_html(segment: Segment) -> str:
    if segment.kind == "markup":  # --hostile: live markup, written as it is
        return segment.text
    if segment.kind == "strong":
        return f"<strong>{text(segment.text)}</strong>"
    if segment.kind == "span":
        return f'<span style="font-size:16px">{text(segment.text)}</span>'
    if segment.kind == "link":
        return f'<a href="{attr(segment.href)}" target="_blank">{text(segment.text)}</a>'
    return text(segment.text)


INDENTS = {
    "ideographic": '<p style="text-indent:2em">　　{}</p>',
    "nbsp": "<p>&nbsp;&nbsp;{}</p>",
    "none": '<p style="text-indent: 2em;">{}</p>',
}


def file_href(name: str) -> str:
    """An image src or attachment href: a bare name is in the article's folder (./name); a path
    or URL (--files) is written as it is."""
    return name if "/" in name else f"./{name}"


def paragraph_html(paragraph: Paragraph, indent: str, cache_bust: bool) -> str:
    """One source line per paragraph; image paragraphs hold only the image."""
    if paragraph.kind == "empty":
        return "<p>&nbsp;</p>"
    if paragraph.kind == "image":
        query = f"?v={slot('bust')}" if cache_bust else ""
        return (
            f'<p style="text-align:center"><img src="{file_href(paragraph.image)}{query}" '
            'border="0" alt="" style="max-width:600px"></p>'
        )
    inner = "".join(segment_html(s) for s in paragraph.segments)
    if paragraph.kind == "markup":  # --hostile: its own elements, no <p> around them
        return inner
    if paragraph.kind == "caption":
        return f'<p style="text-align:center">{inner}</p>'
    return INDENTS[indent].format(inner)


def attachment_block(content: Content) -> str:
    if not content.attachments:
        return ""
    links = "<br>".join(
        f'<a href="{attr(file_href(f.name))}" target="_blank">{text(f.text)}</a>'
        for f in content.attachments
    )
    return f'<div class="public-annex-downLoad">附件：{links}</div>'


def description(content: Content) -> str:
    first = next((p.text for p in content.paragraphs if p.kind == "text"), "")
    return first[:60]


# --- article templates


def news_article(article: Article, content: Content, canonical_url: str, seconds: bool) -> str:
    """The 陈仓要闻 article page (docs/site.md §2), as specified in the replica's brief."""
    return document(
        news_head(article, content, canonical_url, seconds), news_body(article, content)
    )


def news_head(article: Article, content: Content, canonical_url: str, seconds: bool) -> list[str]:
    """Charset declaration, <title>, the government metas (PubDate/ContentSource optional)."""
    head = [
        charset_meta(article),
        '<meta http-equiv="X-UA-Compatible" content="IE=edge">',
        f"<title>{text(content.title)}_{COLUMN}_{SITE_NAME}</title>",
        SITE_METAS,
        f'<meta name="ColumnName" content="{COLUMN}">',
        f'<meta name="ArticleTitle" content="{attr(content.title)}">',
    ]
    if article.features.has_gov_meta:
        head += [
            f'<meta name="PubDate" content="{pub_date_meta(content.published_at, seconds)}">',
            f'<meta name="ContentSource" content="{attr(content.source)}">',
        ]
    head += [
        f'<meta name="Keywords" content="{attr(content.keywords)}">',
        f'<meta name="Description" content="{attr(description(content))}">',
        f'<meta name="Url" content="{attr(canonical_url)}">',
        '<link rel="stylesheet" href="/css/style.css">',
        '<script src="/js/common.js"></script>',
    ]
    return head


META_LINE = (
    '<div class="ly"><div class="ly_left"><span>来源{colon}{source}</span><span>{time}</span></div>'
)
TOOLS = (
    '<div class="ly_right">字号：<a href="javascript:doZoom(18)">大</a> '
    '<a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a> '
    '<a href="javascript:window.print()">打印本页</a> '
    '<a href="javascript:window.close()">关闭窗口</a></div></div>'
)
SHARE = (
    '<div class="share">分享到：<a href="javascript:void(0)" class="share_wx">微信</a> '
    '<a href="javascript:void(0)" class="share_wb">微博</a> '
    '<a href="javascript:void(0)" class="share_qq">QQ空间</a></div>'
)
ZOOM_SCRIPT = (
    '<script type="text/javascript">var docId = "{doc_id}"; var columnId = "{column_id}";'
    ' function doZoom(size) {{ var zoom = document.getElementById("Zoom");'
    ' if (zoom) {{ zoom.style.fontSize = size + "px"; }} }}</script>'
)


def news_body(article: Article, content: Content) -> list[str]:
    """Toolbar, nav, breadcrumb, h2, 来源/发布时间 line, #Zoom, boilerplate, side, footer."""
    features = article.features
    meta_line = META_LINE.format(
        colon=COLONS[features.time_variant],
        source=text(content.source),
        time=visible_time(content.published_at, features.time_variant),
    )
    paragraphs = [
        paragraph_html(p, features.indent, features.cache_bust) for p in content.paragraphs
    ]
    token = f'<input type="hidden" name="__token" value="{slot("token")}">'
    return [
        TOP,
        NAV,
        '<div class="main w1200">',
        BREADCRUMB,
        '<div class="hdpd">',
        f'<div class="hdpd1"><span class="lm">{COLUMN}</span></div>',
        '<div class="hdpd2">',
        f"<h2>{text(content.title)}</h2>",
        meta_line,
        TOOLS,
        '<div id="Zoom"><div class="trs_editor_view TRS_UEDITOR trs_paper_default trs_web">',
        *paragraphs,
        f"</div>{attachment_block(content)}</div>",
        SHARE,
        f'<div class="llcs">浏览次数：<span id="views">{slot("views")}</span></div>',
        token if features.token else "",
        ZOOM_SCRIPT.format(doc_id=article.doc_id, column_id=IDENTITY.column_id),
        "</div></div>",
        SIDE,
        "</div>",
        FOOTER,
    ]


def xxgk_article(article: Article, content: Content, canonical_url: str) -> str:
    """The 信息公开 template: h1 in xxgk_title, 发布时间 with seconds, 来源 on its own line."""
    published = content.published_at.strftime("%Y-%m-%d %H:%M:%S")
    head = [
        UTF8_META,
        f"<title>{text(content.title)}_{XXGK_COLUMN}_{SITE_NAME}</title>",
        SITE_METAS,
        f'<meta name="ColumnName" content="{XXGK_COLUMN}">',
        f'<meta name="ArticleTitle" content="{attr(content.title)}">',
        f'<meta name="PubDate" content="{published}">',
        f'<meta name="ContentSource" content="{attr(content.source)}">',
        f'<meta name="Keywords" content="{attr(content.keywords)}">',
        f'<meta name="Description" content="{attr(description(content))}">',
        f'<meta name="Url" content="{attr(canonical_url)}">',
        '<script src="/js/common.js"></script>',
    ]
    paragraphs = [paragraph_html(p, "none", False) for p in content.paragraphs]
    body = [
        TOP,
        NAV,
        '<div class="main w1200">',
        f'<div class="adress">当前位置：<a href="/">首页</a> &gt; <span>{XXGK_COLUMN}</span></div>',
        '<div class="xxgk_content">',
        f'<div class="xxgk_title"><h1>{text(content.title)}</h1></div>',
        f'<div class="xxgk_info"><p>发布时间：{published}</p><p>来源：{text(content.source)}</p></div>',
        '<div id="Zoom"><div class="TRS_UEDITOR">',
        *paragraphs,
        "</div></div>",
        f'<div class="llcs">浏览次数：<span id="views">{slot("views")}</span></div>',
        "</div>",
        SIDE,
        "</div>",
        FOOTER,
    ]
    return document(head, body)


def legacy_article(article: Article, content: Content) -> str:
    """The older CMS: no government metas, a metadata table, art_title and #zoom."""
    published = content.published_at
    generated = published.date() - timedelta(days=2 + article.doc_id % 4)
    index_number = f"016006562/{published.year}-{article.doc_id % 100000:05d}"
    paragraphs = [
        f"<p>{''.join(segment_html(s) for s in p.segments)}</p>" for p in content.paragraphs
    ]
    head = [UTF8_META, f"<title>{text(content.title)}</title>"]
    body = [
        TOP,
        '<div class="main w1200">',
        f'<div class="position">当前位置：<a href="/">首页</a> &gt; <span>{XXGK_COLUMN}</span></div>',
        '<table class="xxgk_table">',
        f'<tr><td class="t">索引号：</td><td>{index_number}</td>'
        f'<td class="t">发布机构：</td><td>{text(content.source)}</td></tr>',
        f'<tr><td class="t">生成日期：</td><td>{generated:%Y-%m-%d}</td>'
        '<td class="t">公开方式：</td><td>主动公开</td></tr>',
        '<tr><td class="t">公开范围：</td><td>面向社会</td>'
        '<td class="t">主题分类：</td><td>政务动态</td></tr>',
        "</table>",
        f'<div class="art_title"><h1>{text(content.title)}</h1></div>',
        f'<div class="art_info">发布时间：{published:%Y-%m-%d %H:%M} 浏览次数：'
        f"<span>{slot('views')}</span></div>",
        '<div id="zoom">',
        *paragraphs,
        "</div>",
        "</div>",
        FOOTER,
    ]
    return document(head, body)


# --- lists


def shown_title(title: str) -> str:
    return title if len(title) <= TRUNCATE_AT else title[:TRUNCATE_AT] + "…"


def list_item(template: str, href: str, title: str, day: str) -> str:
    anchor = f'<a href="{attr(href)}" title="{attr(title)}" target="_blank">{text(shown_title(title))}</a>'
    if template == "B":
        return f"<li>{anchor}<b>[{day}]</b></li>"
    return f"<li>{anchor}<span>{day}</span></li>"


DATASTORE_NEXT = (
    '<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=1'
    f"&path=/&columnid={IDENTITY.column_id}&unitid={IDENTITY.unit_id}&webname={IDENTITY.county}人民政府"
    '&permissiontype=0"></a>]]></nextgroup>'
)


def list_block(template: str, items: list[str]) -> list[str]:
    """The three list markups of docs/site.md §3 (A, B with invalid nesting, the datastore)."""
    if template == "B":
        return [
            f'<ul class="list"><div id="{IDENTITY.unit_id}"><div class="default_pgContainer">',
            *items,
        ]
    if template == "datastore":
        records = [f"<record><![CDATA[\n{item}]]></record>" for item in items]
        return [
            f'<div id="{IDENTITY.unit_id}"><script type="text/xml"><datastore>',
            DATASTORE_NEXT,
            "<recordset>",
            *records,
            "</recordset>",
            "</datastore></script></div>",
        ]
    return ['<div class="xx_list"><ul>', *items, "</ul></div>"]


def list_close(template: str) -> list[str]:
    return ["</div></div></ul>"] if template == "B" else []


def pagination(template: str, total: int, current: int) -> str:
    function = "createPage" if template == "B" else "createPageHTML"
    return (
        f'<div class="page"><script>{function}({total}, {current}, "index", "html");</script></div>'
    )


def list_page(template: str, items: list[str], total: int, current: int) -> str:
    head = [
        UTF8_META,
        f"<title>{COLUMN}_{SITE_NAME}</title>",
        SITE_METAS,
        f'<meta name="ColumnName" content="{COLUMN}">',
        '<link rel="stylesheet" href="/css/style.css">',
        '<script src="/js/common.js"></script>',
    ]
    body = [
        TOP,
        NAV,
        '<div class="main w1200">',
        BREADCRUMB,
        '<div class="list_left"><h3>新闻中心</h3><ul>'
        f'<li class="on"><a href="{LIST_PATH}">{COLUMN}</a></li></ul></div>',
        f'<div class="list_right"><div class="list_title"><span>{COLUMN}</span></div>',
        *list_block(template, items),
        *list_close(template),
        pagination(template, total, current),
        "</div></div>",
        FOOTER,
    ]
    return document(head, body)


# --- other pages


def simple_page(title: str, main: list[str]) -> str:
    head = [
        UTF8_META,
        f"<title>{title}</title>",
        SITE_METAS,
        '<script src="/js/common.js"></script>',
    ]
    return document(head, [TOP, NAV, '<div class="main w1200">', *main, "</div>", FOOTER])


def latest_block(
    heading: str, links: list[tuple[str, str]], more_href: str = LIST_PATH
) -> list[str]:
    items = [
        f'<li><a href="{attr(h)}" target="_blank">{text(shown_title(t))}</a></li>' for h, t in links
    ]
    return [
        f'<div class="news_block"><h3><a href="{LIST_PATH}">{heading}</a>'
        f'<a href="{more_href}" class="more">更多</a></h3><ul>',
        *items,
        "</ul></div>",
    ]


def home_page(links: list[tuple[str, str]], more_href: str = LIST_PATH) -> str:
    """The home page; more_href is the 更多 link (--duplicates: index.html, a trap)."""
    return simple_page(
        SITE_NAME,
        [
            f'<div class="banner"><h1>{SITE_NAME}</h1></div>',
            *latest_block(COLUMN, links, more_href),
            f'<div class="news_block"><h3><a href="{NOTICE_PATH}">通知公告</a></h3>'
            "<ul><li>暂无信息</li></ul></div>",
        ],
    )


def news_root_page(links: list[tuple[str, str]]) -> str:
    return simple_page(
        f"新闻中心_{SITE_NAME}",
        [
            f'<div class="adress">当前位置：<a href="/">首页</a>{SECTION_TRAIL}</div>',
            *latest_block(COLUMN, links),
            '<div class="news_block"><h3>部门动态</h3><ul><li>暂无信息</li></ul></div>',
            '<div class="news_block"><h3>镇街动态</h3><ul><li>暂无信息</li></ul></div>',
        ],
    )


def error_page(heading: str, message: str) -> str:
    """The site's error page; the soft 404 serves the same page with status 200."""
    return simple_page(
        f"页面不存在_{SITE_NAME}",
        [
            f'<div class="error"><h2>{heading}</h2><p>{message}</p>'
            '<p><a href="/">返回首页</a></p></div>',
        ],
    )


NOT_FOUND_PAGE = error_page("页面不存在", "抱歉，您访问的页面不存在或已被删除！")
SERVER_ERROR_PAGE = error_page("服务器错误", "服务器繁忙，请稍后再试。")
GONE_PAGE = error_page("信息已删除", "您访问的信息已被删除，页面不存在。")
SOFT_404_PAGE = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>页面不存在</title></head>\n'
    '<body><div class="error"><h2>页面不存在</h2><p>您访问的页面不存在，'
    '<span id="sec">5</span>秒后自动返回<a href="/">首页</a>。</p></div>\n'
    '<script>setTimeout(function () { location.href = "/"; }, 5000);</script></body></html>\n'
)

CHALLENGE_PAGE = (
    '<html><script>var _0x1=["\\x63\\x6f\\x6f\\x6b\\x69\\x65"];'
    'document[_0x1[0]]="__jsl_clearance=1764547200.512|0|replica;max-age=3600;path=/";'
    "location.href=location.pathname+location.search;</script></html>\n"
)

# nginx's own limit_req page: a 429 comes from the front server, not from the site's templates.
TOO_MANY_REQUESTS_PAGE = (
    "<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n"
    "<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def robots_txt(mode: str, strict_prefix: str) -> str:
    """Specific rules first, so first-match parsers (urllib.robotparser) agree with
    longest-match ones (Protego, Google); strict drops the allow-all empty Disallow."""
    lines = ["User-agent: *", "Disallow: /_replica/"]
    lines.append(f"Disallow: {strict_prefix}" if mode == "strict" else "Disallow:")
    return "\n".join(lines) + "\n"


COMMON_JS = """\
function createPageHTML(total, current, prefix, suffix) {
  if (total <= 1) { return; }
  var html = [];
  var link = function (n) { return n === 0 ? prefix + "." + suffix : prefix + "_" + n + "." + suffix; };
  if (current > 0) { html.push('<a href="' + link(current - 1) + '">上一页</a>'); }
  html.push('<span>' + (current + 1) + '/' + total + '</span>');
  if (current + 1 < total) { html.push('<a href="' + link(current + 1) + '">下一页</a>'); }
  document.write(html.join(" "));
}
var createPage = createPageHTML;
"""

STYLE_CSS = """\
body { margin: 0; font-family: "Microsoft YaHei", sans-serif; }
.w1200 { width: 1200px; margin: 0 auto; }
.xx_list li, .default_pgContainer li { line-height: 36px; border-bottom: 1px dashed #ddd; }
.xx_list li span, .default_pgContainer li b { float: right; color: #999; font-weight: normal; }
#Zoom p { line-height: 2; font-size: 16px; }
"""


def canonical(path: str) -> str:
    return CANONICAL_ORIGIN + path


def href_for(path: str, style: str) -> str:
    """A link to a path in one of the list's styles: relative, root(-relative) or absolute."""
    if style == "relative" and path.startswith(LIST_PATH):
        return "./" + path.removeprefix(LIST_PATH)
    if style == "absolute":
        return CANONICAL_ORIGIN + path
    return path
