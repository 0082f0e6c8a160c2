import datetime as dt

import pytest

from accountability.alerts import ensure_default_alert_rules
from accountability.models import CHINA, Accident
from responsibility.models import Region, Sector, Unit


def major_accident(
    code: str, region: str, day: dt.date, sector: str = "housing", enterprise: str | None = "e1"
):
    """A 重大 accident (10 deaths) inserted as a fixture row: no write hook, the sweep must find it."""
    at = dt.datetime.combine(day, dt.time(9, 0), tzinfo=CHINA)
    return Accident.objects.create(
        code=code,
        title=f"{code} 重大事故",
        enterprise=Unit.objects.get(code=enterprise) if enterprise else None,
        region=Region.objects.get(code=region),
        sector=Sector.objects.get(code=sector),
        occurred_at=at,
        reported_at=at + dt.timedelta(minutes=30),
        deaths=10,
    )


@pytest.fixture
def alert_rules(demo_county):
    ensure_default_alert_rules()


@pytest.fixture
def two_majors_in_t1(alert_rules):
    """Two 重大 accidents in 东城街道 (T1) 19 days apart."""
    return [
        major_accident("AM1", "T1", dt.date(2024, 5, 1)),
        major_accident("AM2", "T1", dt.date(2024, 5, 20)),
    ]
