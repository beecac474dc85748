"""Small valid image and document bytes for W0…/P0… files, distinct per file name."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from functools import lru_cache

CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
}


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
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for path, content in files.items():
            package.writestr(zipfile.ZipInfo(path, (2025, 1, 1, 0, 0, 0)), content)
    return out.getvalue()


def xls(name: str) -> bytes:
    """Not a real workbook: the OLE2 signature and the name. Only the Content-Type matters."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + name.encode("ascii").ljust(504, b"\x00")


BUILDERS = {"jpg": jpeg, "png": png, "pdf": pdf, "docx": docx, "xls": xls}


@lru_cache(maxsize=1024)
def asset(name: str) -> tuple[bytes, str]:
    """(bytes, content type) for a W0…/P0… file name."""
    extension = name.rsplit(".", 1)[1]
    return BUILDERS[extension](name), CONTENT_TYPES[extension]
