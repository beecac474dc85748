"""--files: nine listed articles whose images and attachments exercise an archiver of files.

One image shared by three articles (written three ways), an image and a PDF whose bytes change
while the pages stay the same, an image that starts answering 404, a 30 MB archive, two files
served with a lying Content-Type, an image on another host, and eight attachment types. See
README.md, "Files (--files)".
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from . import assets, textgen
from . import vocabulary as vocab
from .model import (
    CANONICAL_ORIGIN,
    LIST_PATH,
    SHANGHAI,
    Article,
    Attachment,
    Content,
    Options,
    Paragraph,
    Segment,
)
from .pages import file_href

# File roles (the truth's files[].role), in the order of the truth's entries.
ROLES = ("shared", "changed", "vanished", "oversized", "lying_type", "offsite", "typed")
# The articles, in the order their fresh doc ids are drawn, and how the list links them.
ARTICLES = (
    ("files_shared_1", "relative"),
    ("files_shared_2", "root"),
    ("files_shared_3", "absolute"),
    ("files_changed", "relative"),
    ("files_vanished", "root"),
    ("files_oversized", "absolute"),
    ("files_lying_type", "relative"),
    ("files_offsite", "root"),
    ("files_typed", "absolute"),
)
ARTICLE_ROLES = tuple(role for role, _ in ARTICLES)
SHARED_BACK = (6, 2)  # days before --start-date the first two sharing articles are published
SHARED_THIRD_DAY = 3  # the third sharing article is published on this day
IMAGE_CHANGED_DAY = 3  # the changed image gets new bytes
PDF_CHANGED_DAY = 4  # the changed PDF gets new bytes
VANISHED_DAY = 5  # the vanished image answers 404 from this day on
IMAGE_RESTORED_DAY = 6  # the changed image gets its first bytes back (re-uploaded)
OVERSIZED_BYTES = 30 * 1024 * 1024  # the oversized archive: exactly 30 MiB
OFFSITE_ORIGIN = "http://img.example-cdn.invalid"  # .invalid: never resolves, nothing serves it
LYING_IMAGE_TYPE = "text/html; charset=utf-8"
LYING_PDF_TYPE = "application/octet-stream"
# files_typed's attachments: extension and link text (without the extension, which follows).
TYPED = (
    ("xls", "{year}年部门收支总表"),
    ("xlsx", "{year}年一般公共预算支出表"),
    ("doc", "{year}年部门预算编制说明"),
    ("docx", "{year}年“三公”经费预算情况说明"),
    ("wps", "{year}年项目支出绩效目标表"),
    ("pdf", "{year}年政府采购预算表"),
    ("zip", "{year}年部门预算公开表（全套）"),
    ("rar", "{year}年部门预算公开附表"),
)
TYPED_TITLE = "陈仓区{year}年部门预算公开"
CHANGED_PDF_TEXT = "关于调整{year}年城乡居民医疗保险缴费标准的通知"
OVERSIZED_TEXT = "{year}年陈仓区国土空间规划图集"
LYING_PDF_TEXT = "{year}年第四季度重点项目进展情况"


@dataclass(frozen=True)
class Version:
    """A file's bytes from a day on: built from label (the name, or the name and a mark)."""

    day: int
    label: str
    modified: datetime  # its Last-Modified


@dataclass(frozen=True)
class FileSpec:
    """One file URL some --files article references."""

    role: str
    name: str  # W0…/P0… name (off-site: the last path segment)
    url: str  # canonical URL (off-site: its own)
    path: str | None  # on the replica; None off-site (nothing serves it)
    extension: str
    served_type: str | None  # its Content-Type (None off-site)
    real_type: str  # what the bytes are
    versions: tuple[Version, ...]
    missing_from: int | None = None  # answers 404 from this day on
    size: int | None = None  # streamed files: their length (None: built and held)

    def version_on(self, day: int) -> Version:
        return [v for v in self.versions if v.day <= day][-1]

    def missing_on(self, day: int) -> bool:
        return self.missing_from is not None and day >= self.missing_from


@dataclass(frozen=True)
class Reference:
    """An image or an attachment link in an article: written as the page writes it (a name in the
    article's folder, a root-relative path or an absolute URL); text: the link text."""

    file: FileSpec
    kind: str  # image | attachment
    written: str
    text: str = ""


@dataclass(frozen=True)
class FileArticle:
    role: str  # one of ARTICLE_ROLES
    doc_id: int
    moment: datetime
    path: str
    href_style: str
    title: str | None  # None: the seeded title
    references: tuple[Reference, ...]


def blob(spec: FileSpec, version: Version) -> assets.Blob:
    if spec.size is not None:
        return assets.stored_zip_blob(version.label, spec.size)
    return assets.blob(version.label, spec.extension)


class FileSet:
    """The --files articles and the files they reference (empty when the flag is off)."""

    def __init__(self, options: Options, ids: list[int]) -> None:
        self.options = options
        self.articles: tuple[FileArticle, ...] = self._plan(ids) if options.files else ()
        specs: dict[str, FileSpec] = {}
        for article in self.articles:
            for reference in article.references:
                specs.setdefault(reference.file.url, reference.file)
        order = {role: index for index, role in enumerate(ROLES)}
        self.files = sorted(specs.values(), key=lambda spec: order[spec.role])  # stable
        self.by_path = {spec.path: spec for spec in self.files if spec.path}
        self.by_role = {article.role: article for article in self.articles}

    def _plan(self, ids: list[int]) -> tuple[FileArticle, ...]:
        options = self.options
        start, year = options.start_date, options.start_date.year
        when = random.Random(f"{options.seed}:files")
        names = random.Random(f"{options.seed}:files:names")

        def moment(day: date) -> datetime:
            minute = when.randrange(8 * 60, 18 * 60)
            return datetime.combine(day, time(minute // 60, minute % 60), SHANGHAI)

        days = [start - timedelta(days=SHARED_BACK[0]), start - timedelta(days=SHARED_BACK[1])]
        days += [options.date_of(SHARED_THIRD_DAY)] + [start] * 6
        moments = [moment(day) for day in days]

        def local(role: str, on: date, prefix: str, extension: str, **more) -> FileSpec:
            name = f"{prefix}{on:%Y%m%d}{names.randrange(10**12):012d}.{extension}"
            path = f"{LIST_PATH}{on:%Y%m}/{name}"
            content_type = assets.CONTENT_TYPES[extension]
            changes = more.pop("changes", ())
            versions = [Version(1, name, assets.uploaded(name))]
            versions += [
                Version(day, name if back else f"{name} v{index + 2}", self.uploaded(name, day))
                for index, (day, back) in enumerate(changes)
            ]
            return FileSpec(
                role=role,
                name=name,
                url=CANONICAL_ORIGIN + path,
                path=path,
                extension=extension,
                served_type=more.pop("served_type", content_type),
                real_type=content_type,
                versions=tuple(versions),
                **more,
            )

        first = moments[0].date()
        shared = local("shared", first, "W0", "jpg")
        changed_image = local(
            "changed",
            start,
            "W0",
            "jpg",
            changes=((IMAGE_CHANGED_DAY, False), (IMAGE_RESTORED_DAY, True)),
        )
        changed_pdf = local("changed", start, "P0", "pdf", changes=((PDF_CHANGED_DAY, False),))
        vanished = local("vanished", start, "W0", "jpg", missing_from=VANISHED_DAY)
        oversized = local("oversized", start, "P0", "zip", size=OVERSIZED_BYTES)
        lying_image = local("lying_type", start, "W0", "png", served_type=LYING_IMAGE_TYPE)
        lying_pdf = local("lying_type", start, "P0", "pdf", served_type=LYING_PDF_TYPE)
        offsite_name = f"{names.getrandbits(64):016x}.jpg"
        offsite_url = f"{OFFSITE_ORIGIN}/upload/{start:%Y/%m/%d}/{offsite_name}"
        offsite = FileSpec(
            "offsite", offsite_name, offsite_url, None, "jpg", None, "image/jpeg", ()
        )
        typed = [local("typed", start, "P0", extension) for extension, _ in TYPED]

        def texted(text: str, spec: FileSpec) -> str:
            return f"{text.format(year=year)}.{spec.extension}"

        references = [
            (Reference(shared, "image", shared.name),),
            (Reference(shared, "image", shared.path or ""),),
            (Reference(shared, "image", shared.url),),
            (
                Reference(changed_image, "image", changed_image.name),
                Reference(
                    changed_pdf,
                    "attachment",
                    changed_pdf.name,
                    texted(CHANGED_PDF_TEXT, changed_pdf),
                ),
            ),
            (Reference(vanished, "image", vanished.name),),
            (
                Reference(
                    oversized, "attachment", oversized.name, texted(OVERSIZED_TEXT, oversized)
                ),
            ),
            (
                Reference(lying_image, "image", lying_image.name),
                Reference(
                    lying_pdf, "attachment", lying_pdf.name, texted(LYING_PDF_TEXT, lying_pdf)
                ),
            ),
            (Reference(offsite, "image", offsite.url),),
            tuple(
                Reference(spec, "attachment", spec.name, texted(text, spec))
                for spec, (_, text) in zip(typed, TYPED, strict=True)
            ),
        ]
        articles = []
        for (role, style), doc_id, at, refs in zip(ARTICLES, ids, moments, references, strict=True):
            path = f"{LIST_PATH}{at:%Y%m}/t{at:%Y%m%d}_{doc_id}.html"
            title = TYPED_TITLE.format(year=year) if role == "files_typed" else None
            articles.append(FileArticle(role, doc_id, at, path, style, title, refs))
        return tuple(articles)

    def uploaded(self, name: str, day: int) -> datetime:
        """Last-Modified of bytes first served on a day: 06:MM that day (see assets.uploaded)."""
        return assets.uploaded(name, self.options.date_of(day))

    # --- truth

    def truth(self, day: int, present: set[str]) -> list[dict]:
        """The truth's files: one entry per file the articles present today reference."""
        entries = []
        for spec in self.files:
            references = [
                (article, reference)
                for article in self.articles
                if article.role in present
                for reference in article.references
                if reference.file is spec
            ]
            if references:
                entries.append(self._file_truth(spec, day, references))
        return entries

    def _file_truth(
        self, spec: FileSpec, day: int, references: list[tuple[FileArticle, Reference]]
    ) -> dict:
        served = spec.path is not None and not spec.missing_on(day)
        current = blob(spec, spec.version_on(day)) if served else None
        changes = [
            {"day": version.day, "sha256": blob(spec, version).sha256}
            for version in spec.versions
            if version.day <= day and not spec.missing_on(version.day)
        ]
        urls = [CANONICAL_ORIGIN + article.path for article, _ in references]
        return {
            "url": spec.url,
            "path": spec.path,
            "role": spec.role,
            "articles": list(dict.fromkeys(urls)),
            "references": [
                {
                    "article": CANONICAL_ORIGIN + article.path,
                    "kind": reference.kind,
                    "src": file_href(reference.written),
                    "text": reference.text or None,
                }
                for article, reference in references
            ],
            "content_type_served": spec.served_type if served else None,
            "real_type": spec.real_type,
            "size": current.length if current else None,
            "sha256": current.sha256 if current else None,
            "changes": changes,
            "missing_from_day": spec.missing_from if spec.missing_on(day) else None,
        }


@lru_cache(maxsize=16)
def content(seed: int, article: Article, plan: FileArticle) -> Content:
    """The article's one version (it is never edited): a lead, each image with its caption after a
    paragraph, more paragraphs, the attachments below the body."""
    base = textgen.base_content(seed, article)
    fields = textgen.story(seed, article)
    rng = textgen.article_rng(seed, article, "files")
    writer = textgen.Writer(rng, fields)
    paragraphs = [textgen.text_paragraph(0, writer, lead=True)]
    pid = 1
    for reference in plan.references:
        if reference.kind == "image":
            caption = textgen.fill(rng.choice(vocab.CAPTIONS), fields, rng)
            paragraphs += [
                Paragraph(pid, "image", image=reference.written),
                Paragraph(pid + 1, "caption", (Segment("text", caption),)),
                textgen.text_paragraph(pid + 2, writer),
            ]
            pid += 3
    paragraphs += [textgen.text_paragraph(pid, writer), textgen.text_paragraph(pid + 1, writer)]
    attachments = tuple(
        Attachment(reference.written, reference.text)
        for reference in plan.references
        if reference.kind == "attachment"
    )
    return replace(
        base,
        title=plan.title or base.title,
        paragraphs=tuple(paragraphs),
        attachments=attachments,
    )
