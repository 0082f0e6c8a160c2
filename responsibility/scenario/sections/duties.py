"""Duties, permits, inspections and certifications: who answers for what, and the records that say so."""

from __future__ import annotations

from collections import defaultdict

from simple_history.utils import bulk_create_with_history

from ...models import (
    Certification,
    CertificationSigner,
    Duty,
    Inspection,
    Permit,
)
from ..context import CHANGE_REASON, ImportContext, _check_period, parse_date
from ..writing import _sync_m2m, _upsert_flat


def _validate_duties(ctx: ImportContext) -> None:
    for index, item in enumerate(ctx.items("duties")):
        ctx.check_ref("duties", index, item, "holder_position", "positions")
        ctx.check_ref("duties", index, item, "holder_unit", "units")
        ctx.check_ref("duties", index, item, "region", "regions")
        ctx.check_enterprise_ref("duties", index, item, "enterprise")
        for code in item.get("sectors") or []:
            ctx.check_ref("duties", index, item, "sectors", "sectors", code)
        _check_period(ctx, "duties", index, item, "start", "end")


def _validate_permits(ctx: ImportContext) -> None:
    for index, item in enumerate(ctx.items("permits")):
        ctx.check_enterprise_ref("permits", index, item, "enterprise")
        ctx.check_ref("permits", index, item, "sector", "sectors")
        ctx.check_ref("permits", index, item, "position", "positions")
        _check_period(ctx, "permits", index, item, "approved_on", "valid_until", strict=False)


def _validate_inspections(ctx: ImportContext) -> None:
    for index, item in enumerate(ctx.items("inspections")):
        ctx.check_enterprise_ref("inspections", index, item, "enterprise")
        ctx.check_ref("inspections", index, item, "sector", "sectors")
        ctx.check_ref("inspections", index, item, "unit", "units")
        for code in item.get("inspectors") or []:
            ctx.check_ref("inspections", index, item, "inspectors", "positions", code)


def _validate_certifications(ctx: ImportContext) -> None:
    """§5.5: the issuer and the certified are enterprises; every signer sits inside the issuer."""
    for index, item in enumerate(ctx.items("certifications")):
        ctx.check_enterprise_ref("certifications", index, item, "issuer")
        ctx.check_enterprise_ref("certifications", index, item, "enterprise")
        ctx.check_ref("certifications", index, item, "sector", "sectors")
        _check_period(ctx, "certifications", index, item, "issued_on", "valid_until", strict=False)
        seen = set()
        for code in item["signers"]:
            if code in seen:
                ctx.problem("certifications", index, item, "signers", f"signer {code!r} is listed twice")
            seen.add(code)
            if ctx.check_ref("certifications", index, item, "signers", "positions", code):
                if ctx.enterprise_of_position(code) != item["issuer"]:
                    ctx.problem(
                        "certifications",
                        index,
                        item,
                        "signers",
                        f"signer {code!r} is not a position inside the issuer {item['issuer']!r}",
                    )


def _write_duties(ctx: ImportContext) -> None:
    rows = (
        (
            i["code"],
            {
                "type": i["type"],
                "holder_position_id": ctx.pk("positions", i.get("holder_position")),
                "holder_unit_id": ctx.pk("units", i.get("holder_unit")),
                "region_id": ctx.pk("regions", i.get("region")),
                "enterprise_id": ctx.pk("units", i.get("enterprise")),
                "start": parse_date(i["start"]),
                "end": parse_date(i["end"]) if i.get("end") else None,
                "basis": i.get("basis", ""),
            },
            i.get("sectors") or [],
        )
        for i in ctx.items("duties")
    )
    _upsert_flat(
        ctx, "duties", Duty, rows, after_batch=_m2m_of_batch(ctx, Duty, "sectors", "sector_id", "sectors")
    )


def _m2m_of_batch(ctx: ImportContext, model, relation: str, target_key: str, target_section: str):
    section = {Duty: "duties", Inspection: "inspections"}[model]

    def sync(rows, created: set[int]) -> None:
        wanted = {
            ctx.pk(section, code): {ctx.pk(target_section, c) for c in targets} for code, _, targets in rows
        }
        _sync_m2m(model, relation, target_key, wanted, created)

    return sync


def _write_permits(ctx: ImportContext) -> None:
    rows = (
        (
            i["code"],
            {
                "name": i.get("name", ""),
                "enterprise_id": ctx.pk("units", i["enterprise"]),
                "sector_id": ctx.pk("sectors", i["sector"]),
                "position_id": ctx.pk("positions", i["position"]),
                "approved_on": parse_date(i["approved_on"]),
                "valid_until": parse_date(i["valid_until"]) if i.get("valid_until") else None,
            },
        )
        for i in ctx.items("permits")
    )
    _upsert_flat(ctx, "permits", Permit, rows, after_batch=lambda rows, created: None)


def _write_inspections(ctx: ImportContext) -> None:
    rows = (
        (
            i["code"],
            {
                "enterprise_id": ctx.pk("units", i["enterprise"]),
                "sector_id": ctx.pk("sectors", i["sector"]),
                "unit_id": ctx.pk("units", i["unit"]),
                "date": parse_date(i["date"]),
                "findings": i.get("findings", ""),
            },
            i["inspectors"],
        )
        for i in ctx.items("inspections")
    )
    sync = _m2m_of_batch(ctx, Inspection, "inspectors", "position_id", "positions")
    _upsert_flat(ctx, "inspections", Inspection, rows, after_batch=sync)


def _write_certifications(ctx: ImportContext) -> None:
    rows = (
        (
            i["code"],
            {
                "kind": i["kind"],
                "issuer_id": ctx.pk("units", i["issuer"]),
                "enterprise_id": ctx.pk("units", i["enterprise"]),
                "sector_id": ctx.pk("sectors", i["sector"]),
                "issued_on": parse_date(i["issued_on"]),
                "valid_until": parse_date(i["valid_until"]) if i.get("valid_until") else None,
                "conclusion": i.get("conclusion", ""),
            },
            i["signers"],
        )
        for i in ctx.items("certifications")
    )
    _upsert_flat(
        ctx, "certifications", Certification, rows, after_batch=lambda rows, created: _signers(ctx, rows)
    )


def _signers(ctx: ImportContext, rows) -> None:
    """Signers in document order; a certification's rows are replaced only when the list differs."""
    wanted = {
        ctx.pk("certifications", code): [ctx.pk("positions", c) for c in signers] for code, _, signers in rows
    }
    current: dict[int, list[int]] = defaultdict(list)
    stored = CertificationSigner.objects.filter(certification_id__in=list(wanted)).order_by("order", "id")
    for cert_id, position_id in stored.values_list("certification_id", "position_id"):
        current[cert_id].append(position_id)
    stale = [pk for pk, positions in wanted.items() if current.get(pk, []) != positions]
    if stale:
        for signer in CertificationSigner.objects.filter(certification_id__in=stale):
            signer._change_reason = CHANGE_REASON
            signer.delete()
        bulk_create_with_history(
            [
                CertificationSigner(certification_id=pk, position_id=position, order=n)
                for pk in stale
                for n, position in enumerate(wanted[pk])
            ],
            CertificationSigner,
            batch_size=500,
            default_change_reason=CHANGE_REASON,
        )
