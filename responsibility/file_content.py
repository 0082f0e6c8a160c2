"""What a file really is, read from its content: an uploaded evidence file must be the kind its
extension names, all through, not just its first bytes (a PNG signature followed by an HTML page, or any
zip named .docx, is not a photo or a document). Each check returns why the content does not fit, or None.

The checks walk the container's structure and read no more than they must: no image is decoded, and of
an Office package only [Content_Types].xml and the package relationships are read (each bounded)."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OFFICE_MAIN_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
PACKAGE_PART_MAX = 1024 * 1024  # [Content_Types].xml and _rels/.rels are a few kilobytes
# JPEG markers that stand alone (no length): TEM and RST0-7.
JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def png_problem(data: bytes) -> str | None:
    if not data.startswith(PNG_SIGNATURE):
        return "文件头不是 PNG 签名"
    at, first = len(PNG_SIGNATURE), True
    while at + 12 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        end = at + 12 + length
        if not kind.isalpha() or end > len(data):
            return "数据块结构损坏"
        if first and (kind != b"IHDR" or length != 13):
            return "缺少图像头（IHDR）"
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(data[at + 4 : end - 4]) != crc:
            return "数据块校验失败"
        if kind == b"IEND":
            return None if end == len(data) else "图像结束标记（IEND）之后还有其他内容"
        at, first = end, False
    return "缺少图像结束标记（IEND）"


def jpeg_problem(data: bytes) -> str | None:
    if not data.startswith(b"\xff\xd8\xff"):
        return "文件头不是 JPEG 签名"
    at = 2
    while at + 2 <= len(data):
        if data[at] != 0xFF:
            return "标记段结构损坏"
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in JPEG_STANDALONE:
            at += 2
            continue
        if marker in (0x00, 0xD8, 0xD9) or at + 4 > len(data):
            return "标记段结构损坏"
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if length < 2 or at + 2 + length > len(data):
            return "标记段结构损坏"
        if marker == 0xDA:  # start of scan: the image data runs to the end-of-image marker
            return None if b"\xff\xd9" in data[at + 2 + length :] else "缺少图像结束标记（EOI）"
        at += 2 + length
    return "缺少图像数据"


def pdf_problem(data: bytes) -> str | None:
    if not data.startswith(b"%PDF-"):
        return "文件头不是 PDF 签名"
    if b"%%EOF" not in data[-2048:]:
        return "缺少 PDF 结束标记（%%EOF）"
    return None


def _package_xml(package: zipfile.ZipFile, name: str):
    info = package.getinfo(name)
    if info.file_size > PACKAGE_PART_MAX:
        raise ValueError(name)
    text = package.read(info)
    if b"<!DOCTYPE" in text or b"<!ENTITY" in text:  # no Office part declares one
        raise ValueError(name)
    return ET.fromstring(text)


def office_problem(file, extension: str) -> str | None:
    """A .docx/.xlsx is an Office Open XML package: a zip whose [Content_Types].xml gives its main part
    the type of a Word document (or an Excel workbook), that main part named by _rels/.rels and present."""
    try:
        with zipfile.ZipFile(file) as package:
            names = set(package.namelist())
            if "[Content_Types].xml" not in names or "_rels/.rels" not in names:
                return "不是 Office 文档包（缺少 [Content_Types].xml 或 _rels/.rels）"
            types = _package_xml(package, "[Content_Types].xml")
            relations = _package_xml(package, "_rels/.rels")
    except (zipfile.BadZipFile, KeyError, ValueError, ET.ParseError, EOFError, NotImplementedError, OSError):
        return "不是完整的 Office 文档包"
    main = [
        rel.get("Target", "").lstrip("/")
        for rel in relations
        if rel.tag.endswith("Relationship") and rel.get("Type") == OFFICE_DOCUMENT
    ]
    if len(main) != 1 or main[0] not in names:
        return "文档包缺少主文档部件"
    declared = {
        item.get("PartName", "").lstrip("/"): item.get("ContentType")
        for item in types
        if item.tag.endswith("Override")
    }
    if declared.get(main[0]) != OFFICE_MAIN_TYPES[extension]:
        return "主文档部件的类型与扩展名不符"
    return None


def content_problem(file, extension: str) -> str | None:
    """Why `file` (an open upload, seekable) is not a `extension` file, or None; leaves it at offset 0."""
    file.seek(0)
    try:
        if extension in OFFICE_MAIN_TYPES:
            return office_problem(file, extension)
        data = file.read()
        if extension == "png":
            return png_problem(data)
        if extension in ("jpg", "jpeg"):
            return jpeg_problem(data)
        if extension == "pdf":
            return pdf_problem(data)
        return "不支持的文件类型"
    finally:
        file.seek(0)
