"""POST /api/v1/auth/token/: a script trades a username and password for a new API key."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from responsibility.throttles import ScopedThrottle

from .services import client_address, issue_api_key, record_refused_key_request


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="登录名")
    password = serializers.CharField(max_length=128, style={"input_type": "password"}, help_text="密码")
    name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="密钥名称（可选），如“排班脚本”"
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="API 密钥，只显示这一次；请求时放在 `Authorization: Token <密钥>`"
    )
    name = serializers.CharField()
    created = serializers.DateTimeField()


TOKEN_DOC = """用登录名和密码换取一个新的 API 密钥（每次调用都新建一个，一个用户可持有多个）。

密钥只在响应中出现这一次，服务器只保存其摘要；之后每个请求带上请求头
`Authorization: Token <密钥>`。在网页“API 密钥”页（/account/api-keys/）可以查看、命名和撤销自己的密钥。

本接口按来源地址和账号限流（连续输错密码会暂时锁定该账号在该地址的登录，返回 429）；每次成功或失败的尝试都记入审计记录。"""


class ObtainTokenView(APIView):
    authentication_classes = []  # credentials are in the body; a session or key is not needed
    permission_classes = [AllowAny]
    throttle_classes = [ScopedThrottle]  # per client address (responsibility.auth.client_ip)
    throttle_scope = "api_token"

    @extend_schema(
        summary="获取 API 密钥",
        description=TOKEN_DOC,
        request=TokenRequestSerializer,
        responses={201: TokenResponseSerializer},
        examples=[
            OpenApiExample(
                "企业用户",
                value={"username": "enterprise", "password": "…", "name": "排班脚本"},
                request_only=True,
            )
        ],
        tags=["auth"],
    )
    def post(self, request):
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        address = client_address(request)
        # The Django request: django-axes flags a lockout on the request it is given, and the middleware
        # reads that flag from the Django request, so a locked-out account is answered 429 here too.
        user = authenticate(request=request._request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:
            record_refused_key_request(username=data["username"], via="api", address=address)
            return Response({"non_field_errors": ["登录名或密码错误"]}, status=status.HTTP_400_BAD_REQUEST)
        key, token = issue_api_key(user=user, name=data.get("name", ""), via="api", address=address)
        return Response(
            TokenResponseSerializer({"token": token, "name": key.name, "created": key.created}).data,
            status=status.HTTP_201_CREATED,
        )
