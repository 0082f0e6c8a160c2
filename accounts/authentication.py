"""`Authorization: Token <key>` for the API: django-rest-knox's TokenAuthentication, made safe against a
malformed header. knox decodes the key as UTF-8 and looks it up as it comes, so a stray byte or a NUL
in the header was a 500 (UnicodeDecodeError; PostgreSQL refuses NUL) on every route, before any login.
Here anything that is not a well-formed key is a 401 in Chinese, and so is a key of an inactive account."""

from __future__ import annotations

import string

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

BAD_HEADER = "Authorization 请求头格式错误：应为“Token <API 密钥>”"
BAD_KEY = "API 密钥无效或已撤销"
INACTIVE = "该账号已停用，其 API 密钥不再有效"

KEY_CHARACTERS = frozenset(string.hexdigits)


class ApiKeyAuthentication(TokenAuthentication):
    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except UnicodeError:
            # DRF encodes the header as ISO-8859-1; text outside it (possible under ASGI) cannot be a key.
            raise exceptions.AuthenticationFailed(BAD_HEADER) from None
        except exceptions.AuthenticationFailed as failure:
            # knox's own refusals (no key, a key with spaces) are in English: say it in Chinese.
            if failure.detail in (BAD_KEY, INACTIVE):
                raise
            raise exceptions.AuthenticationFailed(BAD_HEADER) from None

    def authenticate_credentials(self, token: bytes):
        try:
            text = token.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(BAD_KEY) from None
        # A key is hex digits (knox's default) of a fixed length; anything else (a NUL, a quote, a
        # thousand characters) is refused before it reaches the database.
        prefix = knox_settings.TOKEN_PREFIX
        body = text[len(prefix) :] if prefix and text.startswith(prefix) else text
        if len(text) < CONSTANTS.TOKEN_KEY_LENGTH or len(text) > 256 or not set(body) <= KEY_CHARACTERS:
            raise exceptions.AuthenticationFailed(BAD_KEY)
        try:
            return super().authenticate_credentials(token)
        except exceptions.AuthenticationFailed as failure:
            if failure.detail == INACTIVE:
                raise
            raise exceptions.AuthenticationFailed(BAD_KEY) from None

    def validate_user(self, auth_token):
        if not auth_token.user.is_active:
            raise exceptions.AuthenticationFailed(INACTIVE)
        return (auth_token.user, auth_token)


class ApiKeyScheme(KnoxTokenScheme):
    """The OpenAPI schema describes this class as knox's token scheme."""

    target_class = "accounts.authentication.ApiKeyAuthentication"
