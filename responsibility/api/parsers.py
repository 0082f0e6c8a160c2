"""The API's JSON parser: bounded size and depth, repeated keys refused (responsibility.strict_json)."""

from __future__ import annotations

import codecs
import json

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

from responsibility import strict_json
from responsibility.validators import text_problem


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "请求体过大"
    default_code = "too_large"


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = settings.DUTYCHAIN["MAX_JSON_BYTES"]
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise BodyTooLarge(f"JSON 请求体不能超过 {limit} 字节")
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError("JSON 解析错误：编码无效") from None
        try:
            data = strict_json.loads(text, max_depth=settings.DUTYCHAIN["MAX_JSON_DEPTH"])
        except json.JSONDecodeError as exc:
            raise ParseError(f"JSON 解析错误：第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}") from None
        except strict_json.StrictJSONError as exc:
            raise ParseError(f"JSON 被拒绝：{exc}") from None
        if any(text_problem(s) for s in strict_json.strings_of(data)):
            raise ParseError("JSON 被拒绝：包含 NUL 字符或无效的 Unicode 字符")
        return data
