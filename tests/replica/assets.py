"""Small valid image and document bytes for W0…/P0… files, distinct per file name; their
validators; the --files types and the streamed 30 MB archive."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

from .model import SHANGHAI

# The default site serves the first five (any such name, see site.ASSET_FILE); --files also
# serves the others at its own URLs. The types are those of Debian's /etc/mime.types, which
# Python's mimetypes reads (.wps: application/vnd.ms-works, .rar: application/vnd.rar).
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "doc": "application/msword",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "wps": "application/vnd.ms-works",
    "zip": "application/zip",
    "rar": "application/vnd.rar",
}
FALLBACK_DAY = date(2000, 1, 1)  # Last-Modified of a file whose name holds no valid date
CHUNK = 64 * 1024  # a streamed file is written in pieces of this size
ZIP_TIME = (2025, 1, 1, 0, 0, 0)  # every zip entry's timestamp: the bytes are stable


def jpeg(name: str) -> bytes:
    """An 8×8 mid-grey baseline JPEG; a COM segment carries the name so files differ.

    One DC and one AC Huffman table with a single 1-bit code each: the only block is DC
    category 0 then end-of-block, i.e. the scan bits 00, padded with ones.
    """
    comment = name.encode("ascii")
    segments = [
        b"\xff\xd8",  # SOI
        b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
        b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment,
        b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + b"\x01" * 64,  # DQT, all ones
        b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 8, 8, 1) + b"\x01\x11\x00",  # SOF0 8×8 grey
        b"\xff\xc4" + struct.pack(">H", 20) + b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00",  # DC
        b"\xff\xc4" + struct.pack(">H", 20) + b"\x10" + b"\x01" + b"\x00" * 15 + b"\x00",  # AC
        b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00" + b"\x00\x3f\x00",  # SOS
        b"\x3f",  # scan data: 00 + padding
        b"\xff\xd9",  # EOI
    ]
    return b"".join(segments)


def png(name: str) -> bytes:
    """A 4×4 RGB PNG whose colour comes from the name."""
    red, green, blue = hashlib.sha256(name.encode()).digest()[:3]
    row = b"\x00" + bytes((red, green, blue)) * 4
    raw = row * 4

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def pdf(name: str) -> bytes:
    """A one-page PDF with a correct cross-reference table; the page text is the file name."""
    stream = f"BT /F1 12 Tf 72 720 Td ({name}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out.write(trailer.encode())
    return out.getvalue()


def package(files: dict[str, str]) -> bytes:
    """A zip of text files with a fixed timestamp (so the bytes are stable). Each ZipInfo keeps
    its default compression, so the entries are stored, not deflated (as the docx always was)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(zipfile.ZipInfo(path, ZIP_TIME), content)
    return out.getvalue()


def docx(name: str) -> bytes:
    """A minimal WordprocessingML package (a zip with a fixed timestamp, so bytes are stable)."""
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
            'document.main+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>'
        ),
        "word/document.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
            'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
            f"{name}</w:t></w:r></w:p></w:body></w:document>"
        ),
    }
    return package(files)


def xls(name: str) -> bytes:
    """Not a real workbook: the OLE2 signature and the name. Only the Content-Type matters."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + name.encode("ascii").ljust(504, b"\x00")


def xlsx(name: str) -> bytes:
    """A minimal SpreadsheetML package: one sheet whose cell A1 holds the name."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package_rels = "http://schemas.openxmlformats.org/package/2006/relationships"
    return package(
        {
            "[Content_Types].xml": (
                '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                'openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/><Override PartName='
                '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
                'worksheet+xml"/></Types>'
            ),
            "_rels/.rels": (
                f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package_rels}">'
                f'<Relationship Id="rId1" Type="{relationships}/officeDocument" '
                'Target="xl/workbook.xml"/></Relationships>'
            ),
            "xl/workbook.xml": (
                f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" '
                f'xmlns:r="{relationships}"><sheets><sheet name="Sheet1" sheetId="1" '
                'r:id="rId1"/></sheets></workbook>'
            ),
            "xl/_rels/workbook.xml.rels": (
                f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package_rels}">'
                f'<Relationship Id="rId1" Type="{relationships}/worksheet" '
                'Target="worksheets/sheet1.xml"/></Relationships>'
            ),
            "xl/worksheets/sheet1.xml": (
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><sheetData>'
                f'<row r="1"><c r="A1" t="inlineStr"><is><t>{name}</t></is></c></row>'
                "</sheetData></worksheet>"
            ),
        }
    )


def archive(name: str) -> bytes:
    """A small zip: a note and a CSV table (UTF-8 names and text, flagged as such)."""
    return package(
        {
            "说明.txt": f"{name}\n本压缩包含部门预算公开表格。\n",
            "预算表.csv": "项目,金额（万元）\n基本支出,1234.56\n项目支出,789.01\n",
        }
    )


def rar(name: str) -> bytes:
    """An empty RAR 5 archive: the signature, a main archive header and the end of archive
    header, each with its CRC32 (the name is not in it: every such file has these bytes)."""

    def header(kind: int) -> bytes:
        fields = bytes((3, kind, 0, 0))  # size of the rest, type, header flags, type flags
        return struct.pack("<I", zlib.crc32(fields)) + fields

    return b"Rar!\x1a\x07\x01\x00" + header(1) + header(5)


BUILDERS: dict[str, Callable[[str], bytes]] = {
    "jpg": jpeg,
    "png": png,
    "pdf": pdf,
    "docx": docx,
    "xls": xls,
    "doc": xls,  # an OLE2 compound file too, as far as its first bytes go
    "xlsx": xlsx,
    "wps": xls,  # Kingsoft WPS Writer files are OLE2 compound files
    "zip": archive,
    "rar": rar,
}


# --- validators and blobs


def etag_of(sha256: str) -> str:
    """A file's ETag: the first 20 hex digits of the SHA-256 of its bytes, quoted."""
    return f'"{sha256[:20]}"'


def uploaded(name: str, day: date | None = None) -> datetime:
    """Last-Modified of a W0…/P0… file: 06:MM Asia/Shanghai (MM from its twelve digits, before
    any article of the day is published) on the date its name holds, or on day when given."""
    digits = name.rsplit(".", 1)[0][2:]
    if day is None:
        try:
            day = datetime.strptime(digits[:8], "%Y%m%d").date()
        except ValueError:
            day = FALLBACK_DAY
    return datetime.combine(day, time(6, int(digits[8:] or 0) % 60), SHANGHAI)


@dataclass(frozen=True)
class Blob:
    """A file's bytes: held (body) or, when too big to hold, made on demand (chunks)."""

    length: int
    sha256: str
    body: bytes = b""
    chunks: Callable[[], Iterator[bytes]] | None = None

    @property
    def etag(self) -> str:
        return etag_of(self.sha256)


@lru_cache(maxsize=1024)
def blob(label: str, extension: str) -> Blob:
    """The bytes built from label (a file name, or a name and a version mark) as the extension's
    format."""
    body = BUILDERS[extension](label)
    return Blob(len(body), hashlib.sha256(body).hexdigest(), body)


# --- the streamed archive (--files oversized)


@lru_cache(maxsize=4)
def zip_block(label: str) -> bytes:
    """CHUNK seeded random bytes: the stored entry is this block over and over."""
    return random.Random(f"stored-zip:{label}").randbytes(CHUNK)


def stored_entry(label: str, size: int) -> Iterator[bytes]:
    block = zip_block(label)
    for _ in range(size // CHUNK):
        yield block
    if size % CHUNK:
        yield block[: size % CHUNK]


@lru_cache(maxsize=4)
def entry_crc(label: str, size: int) -> int:
    crc = 0
    for piece in stored_entry(label, size):
        crc = zlib.crc32(piece, crc)
    return crc


STORED_NAME = b"scans.bin"


def stored_zip(label: str, total: int) -> Iterator[bytes]:
    """A valid zip of exactly total bytes: one stored (uncompressed) entry of seeded bytes, made
    piece by piece; only one CHUNK is ever held."""
    name = STORED_NAME
    size = total - (30 + 46 + 2 * len(name) + 22)  # local header, central header, end record
    crc = entry_crc(label, size)
    dos_time, dos_date = 0, (ZIP_TIME[0] - 1980) << 9 | ZIP_TIME[1] << 5 | ZIP_TIME[2]
    common = struct.pack("<HHHHHIII", 20, 0, 0, dos_time, dos_date, crc, size, size)
    yield struct.pack("<I", 0x04034B50) + common + struct.pack("<HH", len(name), 0) + name
    yield from stored_entry(label, size)
    central = (
        struct.pack("<IH", 0x02014B50, 20)
        + common
        + struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, 0, 0)
        + name
    )
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), 30 + len(name) + size, 0)
    yield central + end


@lru_cache(maxsize=4)
def stored_zip_blob(label: str, total: int) -> Blob:
    """The streamed archive as a Blob: its digest is computed once, by streaming it."""
    digest = hashlib.sha256()
    length = 0
    for piece in stored_zip(label, total):
        digest.update(piece)
        length += len(piece)
    assert length == total, (length, total)
    return Blob(total, digest.hexdigest(), chunks=lambda: stored_zip(label, total))
