import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accountability.models import Case
from accountability.report_docx import closing_docx, report_docx
from accountability.selectors import case_export


class Command(BaseCommand):
    help = (
        "Export a case: --json (DESIGN §6 shape), --docx FILE (the 调查报告, A4) and/or --closing FILE "
        "(the 结案 record, 处理情况报告; an open case's says what is still missing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--case", required=True, help="case code, e.g. CASE-A-A0429")
        parser.add_argument("--json", action="store_true", help="print the case as JSON")
        parser.add_argument("--docx", metavar="FILE", help="write the 调查报告 as a Word file")
        parser.add_argument(
            "--closing", metavar="FILE", help="write the 结案 record (处理情况报告) as a Word file"
        )

    def handle(self, *args, case, **options):
        if not options["json"] and not options["docx"] and not options["closing"]:
            raise CommandError("give --json, --docx FILE and/or --closing FILE")
        found = Case.objects.select_related("accident", "hazard").filter(code=case).first()
        if found is None:
            raise CommandError(f"--case: no case with code {case!r}")
        for option, render in (("docx", report_docx), ("closing", closing_docx)):
            if not options[option]:
                continue
            path = Path(options[option])
            if not path.parent.is_dir():
                raise CommandError(f"--{option}: no directory {str(path.parent)!r}")
            path.write_bytes(render(found))
            if not options["json"]:
                self.stdout.write(f"wrote {path}")
        if options["json"]:
            self.stdout.write(json.dumps(case_export(found), ensure_ascii=False, indent=2))
