import getpass
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from responsibility.scenario import ScenarioError, import_scenario_file


class Command(BaseCommand):
    help = "Import a scenario document (scenario.schema.json) all or nothing: regions, units, people, duties, events."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the JSON document, or - for standard input")
        parser.add_argument("--quiet", action="store_true", help="no progress lines")
        parser.add_argument(
            "--by", help="username of the person running the import (recorded in the history)"
        )

    def handle(self, *args, file, quiet, by=None, **options):
        user = None
        if by:
            user = get_user_model().objects.filter(username=by, is_active=True).first()
            if user is None:
                raise CommandError(f"--by: no active user {by!r}")

        def progress(message):
            if not quiet:
                self.stdout.write(f"  {message}")

        # Read a chunk at a time (a large document is never held whole); standard input likewise.
        source = sys.stdin.buffer if file == "-" else Path(file)
        try:
            ctx = import_scenario_file(
                source, progress=progress, by=user, source=str(file), os_user=_os_user()
            )
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        except ScenarioError as exc:
            raise CommandError("refused, nothing written:\n" + "\n".join(exc.problems)) from None
        new = sum(n for n, _ in ctx.counts.values())
        changed = sum(c for _, c in ctx.counts.values())
        self.stdout.write(self.style.SUCCESS(f"imported {file}: {new} new, {changed} changed"))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
