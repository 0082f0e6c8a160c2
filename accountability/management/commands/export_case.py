import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accountability.models import Case
from accountability.report_docx import report_docx
from accountability.selectors import case_export


class Command(BaseCommand):
    help = "Export a case: --json (DESIGN §6 shape) and/or --docx FILE (the 调查报告, A4)."

    def add_arguments(self, parser):
        parser.add_argument("--case", required=True, help="case code, e.g. CASE-A-A0429")
        parser.add_argument("--json", action="store_true", help="print the case as JSON")
        parser.add_argument("--docx", metavar="FILE", help="write the 调查报告 as a Word file")

    def handle(self, *args, case, **options):
        if not options["json"] and not options["docx"]:
            raise CommandError("give --json and/or --docx FILE")
        found = Case.objects.select_related("accident", "hazard").filter(code=case).first()
        if found is None:
            raise CommandError(f"--case: no case with code {case!r}")
        if options["docx"]:
            path = Path(options["docx"])
            if not path.parent.is_dir():
                raise CommandError(f"--docx: no directory {str(path.parent)!r}")
            path.write_bytes(report_docx(found))
            if not options["json"]:
                self.stdout.write(f"wrote {path}")
        if options["json"]:
            self.stdout.write(json.dumps(case_export(found), ensure_ascii=False, indent=2))
