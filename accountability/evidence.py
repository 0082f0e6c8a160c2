"""What a rectification evidence file (整改证明材料) may be: the one rule lives in
responsibility.validators.validate_evidence (models, API and pages); the services call it here."""

from __future__ import annotations

from django.core.exceptions import ValidationError

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
