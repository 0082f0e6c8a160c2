import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from responsibility.scenario import ScenarioError, import_scenario


class Command(BaseCommand):
    help = "Import a scenario document (scenario.schema.json) all or nothing: regions, units, people, duties, events."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the JSON document, or - for standard input")
        parser.add_argument("--quiet", action="store_true", help="no progress lines")

    def handle(self, *args, file, quiet, **options):
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None

        def progress(message):
            if not quiet:
                self.stdout.write(f"  {message}")

        try:
            ctx = import_scenario(text, progress=progress)
        except ScenarioError as exc:
            raise CommandError("refused, nothing written:\n" + "\n".join(exc.problems)) from None
        new = sum(n for n, _ in ctx.counts.values())
        changed = sum(c for _, c in ctx.counts.values())
        self.stdout.write(self.style.SUCCESS(f"imported {file}: {new} new, {changed} changed"))
