"""The matrix workbook pages: download the whole matrix; upload one, see what would change, confirm.

Only 安委办 (the admin role) edits the matrix, so only it exports and imports the whole workbook
(the access policy's ("matrix", "edit"), responsibility/access.py).
"""

from __future__ import annotations

import base64
import hashlib

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from .access import page
from .forms import WorkbookUploadForm
from .views import render_page
from .workbook import WorkbookError, export_workbook, import_workbook, preview_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SESSION_KEY = "matrix_workbook_upload"


@page("matrix", "edit")
def workbook_export(request):
    response = HttpResponse(export_workbook(), content_type=XLSX)
    name = f"responsibility-matrix-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@page("matrix", "edit")
def workbook_import(request):
    """GET: the upload form. POST with a file: the preview (or the problems). POST confirm: the import
    of the very file previewed (kept in the session, checked by its hash)."""
    if request.method == "POST" and request.POST.get("confirm"):
        return _confirm(request)
    form = WorkbookUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        try:
            preview = preview_workbook(content)
        except WorkbookError as exc:
            context["problems"] = exc.problems
            status = 400
        else:
            digest = hashlib.sha256(content).hexdigest()
            request.session[SESSION_KEY] = {"digest": digest, "content": base64.b64encode(content).decode()}
            context.update(preview=preview, digest=digest, filename=form.cleaned_data["file"].name)
    elif request.method == "POST":
        status = 400
    return render_page(request, "responsibility/workbook_import.html", context, status=status)


def _confirm(request):
    stored = request.session.get(SESSION_KEY) or {}
    if not stored or stored.get("digest") != request.POST.get("digest"):
        messages.error(request, "预览已失效，请重新上传工作簿。")
        return redirect("responsibility:workbook_import")
    content = base64.b64decode(stored["content"])
    try:
        ctx = import_workbook(content, by=request.user, source="责任矩阵工作簿（页面导入）")
    except WorkbookError as exc:
        # The matrix changed since the preview: say what is wrong now.
        return render_page(
            request,
            "responsibility/workbook_import.html",
            {"form": WorkbookUploadForm(), "problems": exc.problems},
            status=400,
        )
    request.session.pop(SESSION_KEY, None)  # a parallel confirmation of the same upload may have gone first
    new = sum(n for n, _c in ctx.counts.values())
    changed = sum(c for _n, c in ctx.counts.values())
    messages.success(request, f"导入完成：新增 {new} 条，修改 {changed} 条。")
    return redirect("responsibility:workbook_import")
