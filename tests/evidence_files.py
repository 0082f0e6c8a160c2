"""Small but well-formed evidence files for the tests: the upload check reads their structure."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

# SOI, APP0 (JFIF), a 1×1 frame (SOF0), start of scan, a little image data, EOI.
JPEG_HEAD = (
    b"\xff\xd8"
    + b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00"
    + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
)


def jpeg(payload: bytes = b"photo", size: int | None = None) -> bytes:
    """A JPEG whose scan data is `payload` (padded to `size` bytes in all when given)."""
    body = payload.replace(b"\xff", b"\x00")
    if size is not None:
        body = body.ljust(size - len(JPEG_HEAD) - 2, b"\x00")
    return JPEG_HEAD + body + b"\xff\xd9"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(text: str = "") -> bytes:
    """A 1×1 PNG; `text` (a tEXt chunk) makes files of different content."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    note = _chunk(b"tEXt", b"Comment\x00" + text.encode()) if text else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + note
        + _chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + _chunk(b"IEND", b"")
    )


def pdf(size: int | None = None) -> bytes:
    body = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n"
    if size is not None:
        body = body.ljust(size - 6, b" ")
    return body + b"%%EOF\n"


OFFICE = {
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}


def office(extension: str, *, main_type: str | None = None) -> bytes:
    """A minimal Office Open XML package (.docx or .xlsx); `main_type` overrides its main part's type."""
    part, content_type = OFFICE[extension]
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Override PartName="/{part}" ContentType="{main_type or content_type}"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'officeDocument" Target="{part}"/></Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", types)
        package.writestr("_rels/.rels", rels)
        package.writestr(part, "<document/>")
    return buffer.getvalue()
