"""factory-boy factories for the duty-chain models (responsibility/).

Trees keep a materialised `path` that the model's save() computes from the parent, so every factory
creates through the manager (save() runs) and a parent always exists before its child: pass the
parent object, never a code. `Unit.enterprise` is likewise set by save(), never given.

    county = RegionFactory(level="county")
    town = RegionFactory(parent=county)            # level: the one below the parent's
    firm = EnterpriseFactory(region=town, sectors=[housing])
    team = UnitFactory(kind="team", parent=firm)   # region: the parent's
    DutyFactory(type="primary", holder_position=PositionFactory(unit=firm))
"""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from responsibility.models import (
    Certification,
    CertificationSigner,
    Duty,
    DutyType,
    Inspection,
    Permit,
    Person,
    Position,
    Region,
    RegionLevel,
    Sector,
    Tenure,
    Unit,
    UnitKind,
)

LEVELS = list(RegionLevel.values)  # national … village, highest first


def _level_below(region: Region | None) -> str:
    if region is None:
        return RegionLevel.PROVINCE
    index = LEVELS.index(region.level)
    if index + 1 >= len(LEVELS):
        raise ValueError(f"{region.code} is a {region.level}: nothing lies below it")
    return LEVELS[index + 1]


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"R{n:04d}")
    name = factory.LazyAttribute(lambda o: f"区划{o.code}")
    parent = None
    level = factory.LazyAttribute(lambda o: _level_below(o.parent))


class SectorFactory(DjangoModelFactory):
    class Meta:
        model = Sector

    code = factory.Sequence(lambda n: f"S{n:04d}")
    name = factory.LazyAttribute(lambda o: f"行业{o.code}")
    parent = None


class UnitFactory(DjangoModelFactory):
    """A unit; a child takes its parent's region unless one is given."""

    class Meta:
        model = Unit
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.LazyAttribute(lambda o: f"单位{o.code}")
    kind = UnitKind.DEPARTMENT
    parent = None
    region = factory.LazyAttribute(
        lambda o: o.parent.region if o.parent is not None else RegionFactory(level=RegionLevel.COUNTY)
    )

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if create and extracted:
            self.sectors.set(extracted)


class EnterpriseFactory(UnitFactory):
    kind = UnitKind.ENTERPRISE
    code = factory.Sequence(lambda n: f"E{n:04d}")
    name = factory.LazyAttribute(lambda o: f"企业{o.code}")


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.LazyAttribute(lambda o: f"人员{o.code}")


class PositionFactory(DjangoModelFactory):
    class Meta:
        model = Position

    code = factory.Sequence(lambda n: f"POS{n:04d}")
    title = factory.LazyAttribute(lambda o: f"岗位{o.code}")
    unit = factory.SubFactory(UnitFactory)


class TenureFactory(DjangoModelFactory):
    """[start, end): end exclusive, None while the person still holds the post."""

    class Meta:
        model = Tenure

    person = factory.SubFactory(PersonFactory)
    position = factory.SubFactory(PositionFactory)
    start = dt.date(2020, 1, 1)
    end = None


class DutyFactory(DjangoModelFactory):
    """A duty held by a unit, or by a position when `holder_position` is given (then no holder unit)."""

    class Meta:
        model = Duty
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"D{n:04d}")
    type = DutyType.COMPETENT
    holder_position = None
    holder_unit = factory.Maybe(
        "holder_position", yes_declaration=None, no_declaration=factory.SubFactory(UnitFactory)
    )
    region = None
    enterprise = None
    start = dt.date(2000, 1, 1)
    end = None
    basis = ""

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if create and extracted:
            self.sectors.set(extracted)


class PermitFactory(DjangoModelFactory):
    class Meta:
        model = Permit

    code = factory.Sequence(lambda n: f"PM{n:04d}")
    name = factory.LazyAttribute(lambda o: f"许可{o.code}")
    enterprise = factory.SubFactory(EnterpriseFactory)
    sector = factory.SubFactory(SectorFactory)
    position = factory.SubFactory(PositionFactory)
    approved_on = dt.date(2020, 1, 1)
    valid_until = dt.date(2030, 12, 31)


class InspectionFactory(DjangoModelFactory):
    """An inspection; `inspectors=[position, …]` sets the inspector positions."""

    class Meta:
        model = Inspection
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"IN{n:04d}")
    enterprise = factory.SubFactory(EnterpriseFactory)
    sector = factory.SubFactory(SectorFactory)
    unit = factory.SubFactory(UnitFactory)
    date = dt.date(2024, 1, 1)
    findings = ""

    @factory.post_generation
    def inspectors(self, create, extracted, **kwargs):
        if create and extracted:
            self.inspectors.set(extracted)


class CertificationFactory(DjangoModelFactory):
    """A certification (谁出具谁负责); `signers=[position, …]` lists the signer positions in order."""

    class Meta:
        model = Certification
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"CF{n:04d}")
    kind = "appraisal"
    issuer = factory.SubFactory(EnterpriseFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)
    sector = factory.SubFactory(SectorFactory)
    issued_on = dt.date(2024, 1, 1)
    valid_until = None
    conclusion = ""

    @factory.post_generation
    def signers(self, create, extracted, **kwargs):
        if create and extracted:
            for order, position in enumerate(extracted):
                CertificationSigner.objects.create(certification=self, position=position, order=order)


def opened_on(case, day: dt.date):
    """The case as opened on `day` (a case recorded after the fact): the first bound of its timeline
    (accountability/cases/timeline.py), so hand-overs dated from then on are plausible."""
    from accountability.models import Case
    from responsibility.validators import CHINA

    opened_at = dt.datetime.combine(day, dt.time(9), tzinfo=CHINA)
    Case.objects.filter(pk=case.pk).update(opened_at=opened_at)
    case.opened_at = opened_at
    return case


def replied(case, *, submitted: dt.date, reply: dt.date):
    """The case's report submitted and replied to (批复), so its 回头看 may be recorded."""
    from accountability.models import Case

    Case.objects.filter(pk=case.pk).update(report_submitted_on=submitted, reply_on=reply)
    case.report_submitted_on, case.reply_on = submitted, reply
    return case
