"""Field validators shared by the models, the import, the admin, the API and the pages.

One rule each: a value outside them is a field error naming the field, never a traceback. The date
range keeps every stored value readable by both databases' drivers (PostgreSQL stores year 0 or
10000, psycopg cannot read them back) and the chain's date arithmetic inside the calendar.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.utils.deconstruct import deconstructible

from .file_content import content_problem

EARLIEST_DAY = dt.date(1949, 10, 1)
LATEST_DAY = dt.date(2099, 12, 31)
EARLIEST_YEAR, LATEST_YEAR = EARLIEST_DAY.year, LATEST_DAY.year
CHINA = ZoneInfo("Asia/Shanghai")
# Aware bounds: comparing with them never converts the value, so year 1 or 9999 cannot overflow.
EARLIEST_MOMENT = dt.datetime.combine(EARLIEST_DAY, dt.time.min, tzinfo=CHINA)
LATEST_MOMENT = dt.datetime.combine(LATEST_DAY, dt.time.max, tzinfo=CHINA)
MAX_COUNT = 1_000_000

DAY_MESSAGE = f"日期须在 {EARLIEST_DAY} 至 {LATEST_DAY} 之间"
MOMENT_MESSAGE = f"时间须在 {EARLIEST_DAY} 至 {LATEST_DAY} 之间（北京时间）"
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def day_problem(value) -> str | None:
    if isinstance(value, dt.datetime):
        return moment_problem(value)
    if isinstance(value, dt.date) and not EARLIEST_DAY <= value <= LATEST_DAY:
        return DAY_MESSAGE
    return None


def moment_problem(value) -> str | None:
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        return "时间须带时区偏移，例如 +08:00"
    if not EARLIEST_MOMENT <= value <= LATEST_MOMENT:
        return MOMENT_MESSAGE
    return None


def text_problem(value) -> str | None:
    """NUL (PostgreSQL refuses it) or a lone surrogate (no encoding can store it)."""
    if not isinstance(value, str):
        return None
    if "\x00" in value:
        return "不能包含 NUL 字符"
    if _LONE_SURROGATE.search(value):
        return "包含无效的 Unicode 字符（孤立代理项）"
    return None


def year_problem(value: int) -> str | None:
    if not EARLIEST_YEAR <= value <= LATEST_YEAR:
        return f"年份须在 {EARLIEST_YEAR} 至 {LATEST_YEAR} 之间"
    return None


@deconstructible
class DayValidator:
    def __call__(self, value):
        problem = day_problem(value)
        if problem:
            raise ValidationError(problem, code="out_of_range")

    def __eq__(self, other):
        return isinstance(other, DayValidator)


@deconstructible
class MomentValidator:
    def __call__(self, value):
        problem = moment_problem(value)
        if problem:
            raise ValidationError(problem, code="out_of_range")

    def __eq__(self, other):
        return isinstance(other, MomentValidator)


@deconstructible
class CleanTextValidator:
    def __call__(self, value):
        problem = text_problem(value)
        if problem:
            raise ValidationError(problem, code="invalid_text")

    def __eq__(self, other):
        return isinstance(other, CleanTextValidator)


validate_day = DayValidator()
validate_moment = MomentValidator()
validate_clean_text = CleanTextValidator()
validate_code = RegexValidator(r"^[A-Za-z0-9_.\-]+$", "编码只能包含字母、数字、下划线、点和短横线")
count_validators = [MinValueValidator(0), MaxValueValidator(MAX_COUNT)]


# Extension → the signatures its content may start with (docx/xlsx are zip containers); the whole
# structure is checked by responsibility.file_content.
EVIDENCE_SIGNATURES = {
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "pdf": (b"%PDF-",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
}


@deconstructible
class EvidenceFileValidator:
    """整改证明材料: a photo, a PDF or an office document, not empty and within the configured size
    (settings.DUTYCHAIN EVIDENCE_MAX_BYTES and EVIDENCE_EXTENSIONS, read when a file is checked). The type
    is read from the file's content (signature and structure), not trusted from its name or the browser's
    content type."""

    def __call__(self, file):
        from django.conf import settings

        limit = settings.DUTYCHAIN["EVIDENCE_MAX_BYTES"]
        allowed = [ext for ext in settings.DUTYCHAIN["EVIDENCE_EXTENSIONS"] if ext in EVIDENCE_SIGNATURES]
        name = getattr(file, "name", "") or ""
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in allowed:
            raise ValidationError(
                f"证明材料只接受 {'、'.join(e.upper() for e in allowed)} 文件", code="file_type"
            )
        size = getattr(file, "size", 0) or 0
        if size == 0:
            raise ValidationError("证明材料是空文件", code="file_empty")
        if size > limit:
            raise ValidationError(
                f"证明材料不能超过 {limit / 1048576:g} MB（本文件 {size / 1048576:.1f} MB）",
                code="file_size",
            )
        # The whole file, not only its first bytes, must be what the name says (responsibility.file_content).
        problem = content_problem(file, extension)
        if problem:
            shown = os.path.basename(name.replace("\\", "/"))
            raise ValidationError(
                f"证明材料“{shown}”的内容不是 {extension.upper()} 格式：{problem}", code="file_content"
            )

    def __eq__(self, other):
        return isinstance(other, EvidenceFileValidator)


validate_evidence = EvidenceFileValidator()
