"""What a rectification evidence file (整改证明材料) may be: the one rule lives in
responsibility.validators.validate_evidence (models, API and pages); the services call it here."""

from __future__ import annotations

import os

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404

from responsibility.validators import EVIDENCE_SIGNATURES, validate_evidence

ACCEPT = ",".join(f".{ext}" for ext in EVIDENCE_SIGNATURES)


def check_evidence(upload) -> None:
    """Refuse an evidence file that is missing, empty, too large, or not what its extension claims."""
    if upload is None:
        raise ValidationError({"evidence": "请上传整改证明材料"})
    try:
        validate_evidence(upload)
    except ValidationError as error:
        raise ValidationError({"evidence": error.messages}) from None


def evidence_download(hazard, transition_id) -> FileResponse:
    """The evidence file of one of `hazard`'s transitions, as an attachment (never shown inline); 404 when
    the transition has none or the file is gone. The caller has found `hazard` within the user's scope."""
    transition = hazard.transitions.filter(pk=int(transition_id)).exclude(evidence="").first()
    if transition is None:
        raise Http404
    try:
        handle = transition.evidence.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=os.path.basename(transition.evidence.name),
        content_type="application/octet-stream",
    )
