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
from ..writing import _new_pks, _sync_m2m, _upsert_flat


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
    rows = []
    for i in ctx.items("duties"):
        rows.append(
            (
                i["code"],
                {
                    "type": i["type"],
                    "holder_position": ctx.get("positions", i.get("holder_position")),
                    "holder_unit": ctx.get("units", i.get("holder_unit")),
                    "region": ctx.get("regions", i.get("region")),
                    "enterprise": ctx.get("units", i.get("enterprise")),
                    "start": parse_date(i["start"]),
                    "end": parse_date(i["end"]) if i.get("end") else None,
                    "basis": i.get("basis", ""),
                },
            )
        )
    _upsert_flat(ctx, "duties", Duty, rows)
    wanted = {
        ctx.objects["duties"][i["code"]].pk: {ctx.objects["sectors"][c].pk for c in i.get("sectors") or []}
        for i in ctx.items("duties")
    }
    _sync_m2m(Duty, "sectors", "sector_id", wanted, _new_pks(ctx, "duties"))


def _write_permits(ctx: ImportContext) -> None:
    rows = [
        (
            i["code"],
            {
                "name": i.get("name", ""),
                "enterprise": ctx.get("units", i["enterprise"]),
                "sector": ctx.get("sectors", i["sector"]),
                "position": ctx.get("positions", i["position"]),
                "approved_on": parse_date(i["approved_on"]),
                "valid_until": parse_date(i["valid_until"]) if i.get("valid_until") else None,
            },
        )
        for i in ctx.items("permits")
    ]
    _upsert_flat(ctx, "permits", Permit, rows)


def _write_inspections(ctx: ImportContext) -> None:
    rows = [
        (
            i["code"],
            {
                "enterprise": ctx.get("units", i["enterprise"]),
                "sector": ctx.get("sectors", i["sector"]),
                "unit": ctx.get("units", i["unit"]),
                "date": parse_date(i["date"]),
                "findings": i.get("findings", ""),
            },
        )
        for i in ctx.items("inspections")
    ]
    _upsert_flat(ctx, "inspections", Inspection, rows)
    wanted = {
        ctx.objects["inspections"][i["code"]].pk: {ctx.objects["positions"][c].pk for c in i["inspectors"]}
        for i in ctx.items("inspections")
    }
    _sync_m2m(Inspection, "inspectors", "position_id", wanted, _new_pks(ctx, "inspections"))


def _write_certifications(ctx: ImportContext) -> None:
    items = ctx.items("certifications")
    rows = [
        (
            i["code"],
            {
                "kind": i["kind"],
                "issuer": ctx.get("units", i["issuer"]),
                "enterprise": ctx.get("units", i["enterprise"]),
                "sector": ctx.get("sectors", i["sector"]),
                "issued_on": parse_date(i["issued_on"]),
                "valid_until": parse_date(i["valid_until"]) if i.get("valid_until") else None,
                "conclusion": i.get("conclusion", ""),
            },
        )
        for i in items
    ]
    _upsert_flat(ctx, "certifications", Certification, rows)
    # Signers in document order; a certification's rows are replaced only when the list differs.
    wanted = {
        ctx.objects["certifications"][i["code"]].pk: [ctx.objects["positions"][c].pk for c in i["signers"]]
        for i in items
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
