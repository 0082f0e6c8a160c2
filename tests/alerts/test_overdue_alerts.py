"""挂牌督办 past its due date names the listing unit's head; a unit with two overdue 督查 findings names
the unit's own posts."""

import datetime as dt

from accountability.alerts import raise_alerts
from accountability.hazards import list_for_supervision
from accountability.models import AlertKind, FindingSource, GovFinding, Hazard
from responsibility.models import Unit


def test_an_overdue_listing_names_the_listing_units_head(alert_rules):
    h1 = Hazard.objects.get(code="H1")
    list_for_supervision(
        hazard=h1,
        listing_unit=Unit.objects.get(code="d_em"),
        listed_on=dt.date(2024, 4, 15),
        due_on=dt.date(2024, 5, 31),
    )
    raised = raise_alerts(dt.date(2024, 6, 3), kinds=[AlertKind.LISTING_OVERDUE])
    assert [created for _, created in raised] == [True]
    alert = raised[0][0]
    assert alert.subject_key == "listing:H1" and alert.summoned_by.code == "d_em"
    assert [(n.position.code, n.person.code) for n in alert.named.all()] == [("d_em_dir", "p14")]
    assert raise_alerts(dt.date(2024, 6, 4), kinds=[AlertKind.LISTING_OVERDUE])[0][1] is False


def test_two_overdue_findings_of_one_unit_name_its_own_posts(alert_rules):
    units = {u.code: u for u in Unit.objects.filter(code__in=["d_gov", "d_housing"])}
    for n in (1, 2):
        GovFinding.objects.create(
            code=f"GF{n}",
            title=f"问题{n}",
            source=FindingSource.INSPECTION_TOUR,
            issuing_unit=units["d_gov"],
            assigned_unit=units["d_housing"],
            found_on=dt.date(2024, 4, 1),
            deadline=dt.date(2024, 5, n),
        )
    assert raise_alerts(dt.date(2024, 5, 2), kinds=[AlertKind.FINDINGS_OVERDUE]) == []  # one overdue
    [(alert, created)] = raise_alerts(dt.date(2024, 5, 10), kinds=[AlertKind.FINDINGS_OVERDUE])
    assert created and alert.subject_key == "unit:d_housing" and alert.count == 2
    assert sorted(alert.findings.values_list("code", flat=True)) == ["GF1", "GF2"]
    assert [(n.position.code, n.person.code) for n in alert.named.all()] == [("d_housing_dir", "p09")]
