"""The floors the product is measured against: hand-written SQL, written here and nowhere in the product.

- `TRACE_SQL`: the people of an accident's chain (DESIGN §3 for a one-day period, §5.5 certifications,
  §5.6 actors) in one query — ids first (region and sector codes from the materialised paths, the
  involved enterprises), then each source on its own indexed columns, holders by a lateral lookup.
  It returns link identities (track, type, unit, position, person, enterprise), which `trace_identities`
  turns into the set the product's links must equal. It does not do §5.1 periods or §5.2 further
  sectors: the generated accidents have neither, and `run.py` checks the sets are equal before timing.
- `DUTY_LIST_SQL` and `BaselineDutyList`: the rows `/api/v1/duties/` shows an enterprise user (the
  duties held by the units of the user's enterprises and by their positions, ordered by code, first
  page of 50), in one query, serialised by a plain DRF serializer — the framework's floor.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from responsibility.models import DutyType, track_of

LEVEL_RANK_SQL = (
    "CASE {0} WHEN 'national' THEN 0 WHEN 'province' THEN 1 WHEN 'city' THEN 2 WHEN 'county' THEN 3 "
    "WHEN 'township' THEN 4 ELSE 5 END"
)

TRACE_SQL = """
WITH a AS (
    SELECT ac.id, ac.enterprise_id, ac.post_id,
           (ac.occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
           string_to_array(trim(BOTH '/' FROM r.path), '/') AS region_codes,
           string_to_array(trim(BOTH '/' FROM s.path), '/') AS sector_codes,
           coalesce(string_to_array(trim(BOTH '/' FROM u.path), '/'), '{{}}') AS site_codes,
           CASE ac.grade WHEN 'larger' THEN 2 WHEN 'major' THEN 1 WHEN 'especially_major' THEN 0 ELSE 3 END AS reach
    FROM accountability_accident ac
    JOIN responsibility_region r ON r.id = ac.region_id
    JOIN responsibility_sector s ON s.id = ac.sector_id
    LEFT JOIN responsibility_unit u ON u.id = ac.unit_id AND u.enterprise_id = ac.enterprise_id
    WHERE ac.id = %(accident)s
),
regions AS (SELECT r.id FROM responsibility_region r, a WHERE r.code = ANY(a.region_codes)),
sectors AS (SELECT s.id FROM responsibility_sector s, a WHERE s.code = ANY(a.sector_codes)),
ents AS (
    SELECT a.enterprise_id AS id, true AS main FROM a WHERE a.enterprise_id IS NOT NULL
    UNION ALL
    SELECT p.enterprise_id, false FROM accountability_eventparty p, a WHERE p.accident_id = a.id
),
sup AS (
    SELECT d.id, d.type, d.start, d."end", d.enterprise_id, d.holder_position_id, d.holder_unit_id
    FROM responsibility_duty d WHERE d.region_id IN (SELECT id FROM regions)
    UNION ALL
    SELECT d.id, d.type, d.start, d."end", d.enterprise_id, d.holder_position_id, d.holder_unit_id
    FROM responsibility_duty d
    WHERE d.region_id IS NULL AND d.holder_unit_id IN (
        SELECT u.id FROM responsibility_unit u WHERE u.region_id IN (SELECT id FROM regions))
    UNION ALL
    SELECT d.id, d.type, d.start, d."end", d.enterprise_id, d.holder_position_id, d.holder_unit_id
    FROM responsibility_duty d
    WHERE d.region_id IS NULL AND d.holder_position_id IN (
        SELECT p.id FROM responsibility_position p JOIN responsibility_unit u ON u.id = p.unit_id
        WHERE u.region_id IN (SELECT id FROM regions))
),
ent_units AS (SELECT u.id, u.code, u.enterprise_id FROM responsibility_unit u WHERE u.enterprise_id IN (SELECT id FROM ents)),
ent AS (
    SELECT d.id, d.type, d.start, d."end", d.holder_position_id, eu.id AS unit_id, eu.code AS unit_code,
           eu.enterprise_id AS owner
    FROM responsibility_duty d JOIN ent_units eu ON eu.id = d.holder_unit_id
    UNION ALL
    SELECT d.id, d.type, d.start, d."end", d.holder_position_id, eu.id, eu.code, eu.enterprise_id
    FROM ent_units eu
    JOIN responsibility_position p ON p.unit_id = eu.id
    JOIN responsibility_duty d ON d.holder_position_id = p.id
),
links AS (
    -- §3.1 supervision duties, §3.5 reach
    SELECT 'supervision' AS track, d.type, hu.code AS unit, hp.code AS position, d.holder_position_id AS pos_id,
           a.day AS held_on, NULL::bigint AS enterprise_id
    FROM sup d CROSS JOIN a
    LEFT JOIN responsibility_position hp ON hp.id = d.holder_position_id
    JOIN responsibility_unit hu ON hu.id = coalesce(d.holder_unit_id, hp.unit_id)
    JOIN responsibility_region hr ON hr.id = hu.region_id
    WHERE d.type IN ('party_gov_lead', 'leader_in_charge', 'territorial', 'competent', 'supervisory')
      AND d.start <= a.day AND (d."end" IS NULL OR d."end" > a.day)
      AND (d.enterprise_id IS NULL OR d.enterprise_id = a.enterprise_id)
      AND {rank_hr} >= a.reach
      AND (NOT EXISTS (SELECT 1 FROM responsibility_duty_sectors ds WHERE ds.duty_id = d.id)
           OR EXISTS (SELECT 1 FROM responsibility_duty_sectors ds
                      WHERE ds.duty_id = d.id AND ds.sector_id IN (SELECT id FROM sectors)))
    UNION ALL
    -- §3.2 enterprise duties of the event's enterprise and of its parties
    SELECT 'enterprise', d.type, d.unit_code, hp.code, d.holder_position_id, a.day, d.owner
    FROM ent d CROSS JOIN a
    JOIN ents e ON e.id = d.owner
    LEFT JOIN responsibility_position hp ON hp.id = d.holder_position_id
    WHERE d.start <= a.day AND (d."end" IS NULL OR d."end" > a.day)
      AND (
        (e.main AND (
            d.type IN ('primary', 'enterprise_leader', 'safety_manager', 'guarantor')
            OR (d.type IN ('dept_head', 'team_leader') AND d.unit_code = ANY(a.site_codes))
            OR (d.type = 'post' AND d.holder_position_id = a.post_id)))
        OR (NOT e.main AND d.type IN ('primary', 'enterprise_leader', 'safety_manager', 'guarantor')))
      AND (NOT EXISTS (SELECT 1 FROM responsibility_duty_sectors ds WHERE ds.duty_id = d.id)
           OR EXISTS (SELECT 1 FROM responsibility_duty_sectors ds
                      WHERE ds.duty_id = d.id AND ds.sector_id IN (SELECT id FROM sectors)))
    UNION ALL
    -- §3.4 approval: permits valid on the day, the approver as held on the approval day
    SELECT 'supervision', 'approval', pu.code, pp.code, pp.id, pm.approved_on, pm.enterprise_id
    FROM responsibility_permit pm CROSS JOIN a
    JOIN responsibility_position pp ON pp.id = pm.position_id
    JOIN responsibility_unit pu ON pu.id = pp.unit_id
    JOIN responsibility_region pr ON pr.id = pu.region_id
    WHERE pm.enterprise_id IN (SELECT id FROM ents) AND pm.sector_id IN (SELECT id FROM sectors)
      AND pm.approved_on <= a.day AND (pm.valid_until IS NULL OR pm.valid_until >= a.day)
      AND {rank_pr} >= a.reach
    UNION ALL
    -- §3.4 inspection: the latest per (enterprise, inspecting unit) in the window, each inspector
    SELECT 'supervision', 'inspection', pu.code, pp.code, pp.id, i.date, i.enterprise_id
    FROM (
        SELECT i.id, i.date, i.enterprise_id,
               max(i.date) OVER (PARTITION BY i.enterprise_id, i.unit_id) AS latest
        FROM responsibility_inspection i CROSS JOIN a
        WHERE i.enterprise_id IN (SELECT id FROM ents) AND i.sector_id IN (SELECT id FROM sectors)
          AND i.date BETWEEN a.day - %(window)s AND a.day
    ) i
    CROSS JOIN a
    JOIN responsibility_inspection_inspectors ii ON ii.inspection_id = i.id
    JOIN responsibility_position pp ON pp.id = ii.position_id
    JOIN responsibility_unit pu ON pu.id = pp.unit_id
    JOIN responsibility_region pr ON pr.id = pu.region_id
    WHERE i.date = i.latest AND {rank_pr} >= a.reach
    UNION ALL
    -- §5.5 certification: each signer, as held on the issue day
    SELECT 'enterprise', 'certification', pu.code, pp.code, pp.id, c.issued_on, c.issuer_id
    FROM responsibility_certification c CROSS JOIN a
    JOIN responsibility_certificationsigner cs ON cs.certification_id = c.id
    JOIN responsibility_position pp ON pp.id = cs.position_id
    JOIN responsibility_unit pu ON pu.id = pp.unit_id
    WHERE c.enterprise_id IN (SELECT id FROM ents) AND c.sector_id IN (SELECT id FROM sectors)
      AND c.issued_on <= a.day AND (c.valid_until IS NULL OR c.valid_until >= a.day)
)
SELECT DISTINCT l.track, l.type, l.unit, l.position, per.code AS person, e.code AS enterprise
FROM links l
LEFT JOIN LATERAL (
    SELECT t.person_id FROM responsibility_tenure t
    WHERE t.position_id = l.pos_id AND t.start <= l.held_on AND (t."end" IS NULL OR t."end" > l.held_on)
    LIMIT 1
) h ON true
LEFT JOIN responsibility_person per ON per.id = h.person_id
LEFT JOIN responsibility_unit e ON e.id = l.enterprise_id
UNION
-- §3.2/§5.6 actors, when there is an enterprise track
SELECT 'enterprise', 'actor', NULL, NULL, per.code, o.code
FROM accountability_eventactor ea CROSS JOIN a
JOIN responsibility_person per ON per.id = ea.person_id
LEFT JOIN responsibility_unit o ON o.id = ea.of_id
WHERE ea.accident_id = a.id AND EXISTS (SELECT 1 FROM ents)
""".format(rank_hr=LEVEL_RANK_SQL.format("hr.level"), rank_pr=LEVEL_RANK_SQL.format("pr.level"))


def trace_rows(accident_id: int) -> list[tuple]:
    """The chain of one accident by the hand-written query: one round trip."""
    with connection.cursor() as cursor:
        cursor.execute(
            TRACE_SQL, {"accident": accident_id, "window": settings.DUTYCHAIN["INSPECTION_WINDOW_DAYS"]}
        )
        return cursor.fetchall()


def trace_identities(rows) -> set[tuple]:
    return {tuple(row) for row in rows}


def product_identities(links) -> set[tuple]:
    return {link.identity for link in links}


# ---- the duty list -------------------------------------------------------------------------------------

DUTY_LIST_SQL = """
WITH mine AS (
    SELECT uop.content_object_id AS id
    FROM responsibility_unituserobjectpermission uop
    JOIN auth_permission perm ON perm.id = uop.permission_id
    WHERE uop.user_id = %(user)s AND perm.codename = 'act_for_enterprise'
),
units AS (SELECT u.id FROM responsibility_unit u WHERE u.enterprise_id IN (SELECT id FROM mine)),
held AS (
    SELECT d.id FROM responsibility_duty d WHERE d.holder_unit_id IN (SELECT id FROM units)
    UNION
    SELECT d.id FROM responsibility_duty d
    WHERE d.holder_position_id IN (SELECT p.id FROM responsibility_position p WHERE p.unit_id IN (SELECT id FROM units))
)
SELECT d.code, d.type, hp.code, hu.code, coalesce(hu.code, pu.code), r.code, e.code, d.start, d."end", d.basis,
       ARRAY(SELECT s.code FROM responsibility_duty_sectors ds JOIN responsibility_sector s ON s.id = ds.sector_id
             WHERE ds.duty_id = d.id ORDER BY s.code),
       count(*) OVER ()
FROM responsibility_duty d
LEFT JOIN responsibility_position hp ON hp.id = d.holder_position_id
LEFT JOIN responsibility_unit pu ON pu.id = hp.unit_id
LEFT JOIN responsibility_unit hu ON hu.id = d.holder_unit_id
LEFT JOIN responsibility_region r ON r.id = d.region_id
LEFT JOIN responsibility_unit e ON e.id = d.enterprise_id
WHERE d.id IN (SELECT id FROM held)
ORDER BY d.code
LIMIT 50
"""

FIELDS = [
    "code",
    "type",
    "holder_position",
    "holder_unit",
    "unit",
    "region",
    "enterprise",
    "start",
    "end",
    "basis",
    "sectors",
]


class PlainDutySerializer(serializers.Serializer):
    code = serializers.CharField()
    type = serializers.CharField()
    type_label = serializers.SerializerMethodField()
    track = serializers.SerializerMethodField()
    holder_position = serializers.CharField(allow_null=True)
    holder_unit = serializers.CharField(allow_null=True)
    unit = serializers.CharField()
    sectors = serializers.ListField(child=serializers.CharField())
    region = serializers.CharField(allow_null=True)
    enterprise = serializers.CharField(allow_null=True)
    start = serializers.DateField()
    end = serializers.DateField(allow_null=True)
    basis = serializers.CharField(allow_blank=True)

    def get_type_label(self, row) -> str:
        return DutyType(row["type"]).label

    def get_track(self, row) -> str:
        return track_of(row["type"])


class BaselineDutyList(APIView):
    """The same first page as `/api/v1/duties/` for an enterprise user, from one hand-written query."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute(DUTY_LIST_SQL, {"user": request.user.pk})
            rows = cursor.fetchall()
        count = rows[0][-1] if rows else 0
        data = [dict(zip(FIELDS, row[:-1], strict=True)) for row in rows]
        return Response(
            {
                "count": count,
                "next": None,
                "previous": None,
                "results": PlainDutySerializer(data, many=True).data,
            }
        )
