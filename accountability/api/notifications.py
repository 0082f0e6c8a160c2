"""My notifications over the API: list, mark one read, mark all read. Only the caller's own."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from responsibility.access import api_roles
from responsibility.api.permissions import HasActionRole

from ..models import Notification
from ..reminders.inbox import mark_read, notifications_for, unread_count


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "title",
            "body",
            "link",
            "subject_type",
            "subject_id",
            "subject_code",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields


MarkedSerializer = inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField()})
UnreadSerializer = inline_serializer("NotificationsUnread", {"unread": serializers.IntegerField()})


@extend_schema(tags=["notifications"])
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """站内通知：每个登录用户只看到发给自己（或本人所对应人员）的通知。"""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = api_roles(
        list=("account", "use"),
        retrieve=("account", "use"),
        read=("account", "use"),
        read_all=("account", "use"),
        unread_count=("account", "use"),
    )
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        qs = notifications_for(self.request.user)
        if self.action == "list" and self.request.query_params.get("unread") in {"1", "true", "yes"}:
            qs = qs.unread()
        return qs.order_by("-created_at", "-id")

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool, description="只列未读通知")],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """标记一条通知为已读。"""
        notification = self.get_object()
        mark_read(user=request.user, ids=[notification.pk])
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """标记我的全部通知为已读。"""
        return Response({"marked": mark_read(user=request.user)})

    @extend_schema(responses=UnreadSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        """我的未读通知数。"""
        return Response({"unread": unread_count(request.user)})
