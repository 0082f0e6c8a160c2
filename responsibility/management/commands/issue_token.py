from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import issue_api_key, revoke_all_api_keys


class Command(BaseCommand):
    help = (
        "Print a new API key of a user (each call makes one; --rotate revokes the user's other keys first). "
        "Send it as `Authorization: Token …`. Users can also get keys themselves: POST /api/v1/auth/token/."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--name", default="命令行签发", help="the key's name, shown on the user's keys page"
        )
        parser.add_argument(
            "--rotate", action="store_true", help="revoke the user's keys before issuing this one"
        )

    def handle(self, *args, username, name, rotate=False, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        if not user.is_active:
            raise CommandError(f"user {username!r} is inactive")
        if rotate:
            revoke_all_api_keys(user=user, via="command")
        _key, token = issue_api_key(user=user, name=name, via="command")
        self.stdout.write(token)
