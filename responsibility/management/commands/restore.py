from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from responsibility.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup` into an EMPTY database (no tables) and an empty MEDIA_ROOT, "
        "after checking every file's checksum."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory, **options):
        try:
            manifest = restore(directory)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"恢复完成：{directory}（备份时间 {manifest['created']}）"))
