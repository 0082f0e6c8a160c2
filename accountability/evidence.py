"""What a rectification evidence file (整改证明材料) may be: a photo, a PDF or an office document, of bounded size.

The type is read from the file's first bytes, not trusted from its name or the browser's content type.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError

# Extension → the signatures its content may start with (docx/xlsx are zip containers).
SIGNATURES = {
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "pdf": (b"%PDF-",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
}
ACCEPT = ",".join(f".{ext}" for ext in SIGNATURES)


def max_bytes() -> int:
    return getattr(settings, "DUTYCHAIN_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)


def check_evidence(upload) -> None:
    """Refuse an evidence file that is empty, too large, or not what its extension claims."""
    if upload is None:
        raise ValidationError({"evidence": "请上传整改证明材料"})
    limit = max_bytes()
    if upload.size == 0:
        raise ValidationError({"evidence": "证明材料是空文件"})
    if upload.size > limit:
        raise ValidationError(
            {
                "evidence": f"证明材料不能超过 {limit // (1024 * 1024)} MB（本文件 {upload.size / 1048576:.1f} MB）"
            }
        )
    name = getattr(upload, "name", "") or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in SIGNATURES:
        raise ValidationError({"evidence": "证明材料只接受 JPG、PNG、PDF、DOCX、XLSX 文件"})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(SIGNATURES[ext]):
        raise ValidationError({"evidence": f"文件内容不是 {ext.upper()} 格式"})
