from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from responsibility.backups import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump custom format, or SQLite's online backup), the evidence files and a "
        "manifest with sha256 checksums and the schema version into DIR (absent or empty)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory, **options):
        try:
            manifest = backup(directory)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        media = sum(1 for name in manifest["files"] if name.startswith("media/"))
        self.stdout.write(
            self.style.SUCCESS(f"备份完成：{directory}（{manifest['engine']}，证据文件 {media} 个）")
        )
