"""Must show (issue 12): A0429 of old_house replayed to its conclusion through the services and the API,
then exported with `export_case` (--json and --docx)."""

import datetime as dt
import io
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from docx import Document

from accountability import cases as services
from accountability.models import Accident, AccountabilityRecord, Case, CaseState, Measure, ReminderKind
from accountability.reminders.due import SELECTORS
from accountability.report import ANNEX, HEADINGS
from responsibility.models import Position, Unit
from tests.api.conftest import token_client
from tests.conftest import OLD_HOUSE_FILE
from tests.factories import opened_on

CASE = "CASE-A-A0429"
# 干部管理权限 of the posts (set in the matrix before the case opens; the snapshot keeps it).
AUTHORITIES = {
    "wp_gov_vg": "central",
    "wc_sec": "provincial",
    "wc_mayor": "provincial",
    "wc_vmayor": "provincial",
    "wc_housing_dir": "city",
    "wd_sec": "city",
    "wd_head": "city",
    "wd_vhead": "city",
    "wd_housing_dir": "county",
    "wd_urban_dir": "county",
    "wt_sec": "county",
    "wt_head": "county",
    "wt_vhead": "county",
    "wt_inspector": "other",
    "wd_market_permit": "other",
    "wd_police_permit": "other",
}
BODY_PREFIX = {"central": "中纪", "provincial": "省", "city": "市", "county": "区", "other": "湖滨市监委"}
# Officials found responsible: (position, person) → (category, the measure the 纪检监察 body decides).
OFFICIALS = {
    ("wp_gov_vg", "hp1"): ("important_leadership", {"kind": "acc_notice"}),
    ("wc_vmayor", "hc4"): ("important_leadership", {"kind": "gov_major_demerit"}),
    ("wc_housing_dir", "hc6"): ("supervision", {"kind": "gov_demotion"}),
    ("wd_vhead", "hd5"): ("principal_leadership", {"kind": "gov_dismissal"}),
    ("wd_housing_dir", "hd7"): ("supervision", {"kind": "party_probation"}),
    ("wt_head", "ht2"): ("territorial", {"kind": "gov_dismissal"}),
    ("wt_inspector", "ht4"): ("direct", {"kind": "judicial_referral", "article": "397"}),
}


def api(client, method, url, data=None, expect=200):
    response = getattr(client, method)(url, data, format="json")
    assert response.status_code == expect, response.content.decode()
    return response.json()


def record(position=None, person=None, unit=None, **extra) -> AccountabilityRecord:
    rows = AccountabilityRecord.objects.filter(case__code=CASE, **extra)
    if position:
        rows = rows.filter(position_code=position)
    if person:
        rows = rows.filter(person_code=person)
    if unit:
        rows = rows.filter(unit_code=unit)
    return rows.get()


def replay(client) -> dict:
    """The handling of A0429 as a real report concludes it; returns figures for the assertions."""
    for code, authority in AUTHORITIES.items():
        Position.objects.filter(code=code).update(authority=authority)
    opened = api(client, "post", "/api/v1/cases/open/", {"accident": "A0429"}, expect=201)
    # Recorded after the fact: the case was opened the day of the accident (its timeline's first bound).
    case = Case.objects.get(code=opened["code"])
    opened_on(case, case.event_day)
    base = f"/api/v1/cases/{opened['code']}"
    figures = {"due_opened": opened["investigation_due"]}

    # The timetable: the State Council sets 220 days; the appraisal (40 days) does not count.
    api(client, "post", f"{base}/investigation-period/", {"days": 220})
    period = api(
        client,
        "post",
        f"{base}/appraisal-periods/",
        {"start": "2022-05-10", "subject": "房屋结构安全技术鉴定"},
        201,
    )
    api(client, "post", f"{base}/appraisal-periods/{period['id']}/end/", {"end": "2022-06-18"})
    figures["due_moved"] = api(client, "get", f"{base}/")["investigation_due"]
    figures["due_reminded"] = [
        i.due for i in SELECTORS[ReminderKind.CASE_INVESTIGATION](dt.date(2022, 1, 1), dt.date(2023, 12, 31))
    ]

    # The team: one list (the accident's investigators), with the invited procuratorate and the experts.
    api(client, "post", f"{base}/investigators/", {"unit": "wp_gov", "role": "member"})
    conclusions = {
        "nature": "liability",
        "direct_cause": "违法违规加层扩建，承重墙体严重超载，导致房屋整体坍塌。",
        "indirect_cause": "鉴定机构出具虚假报告；属地和有关部门排查整治流于形式。",
        "course_and_rescue": "2022年4月29日12时24分，房屋倒塌；经全力搜救，救出10人。",
        "lessons": "自建房安全管理底数不清；对技术服务机构监管缺位。",
    }
    api(client, "post", f"{base}/conclusions/", conclusions)
    api(client, "post", f"{base}/unit-problems/", {"unit": "appr", "problems": "未实地查勘即出具鉴定报告。"})
    api(client, "post", f"{base}/unit-problems/", {"unit": "wt_gov", "problems": "自建房排查走过场。"})

    # The owner died in the collapse: responsible, not pursued, no measures.
    owner = record("house_owner", "o1")
    api(
        client,
        "post",
        f"/api/v1/records/{owner.pk}/finding/",
        {"finding": "deceased", "category": "direct", "grounds": "鉴于其已在事故中死亡，免予追究"},
        201,
    )
    # The appraisers: 移送司法 under 229, barred for life; their body as a legal person loses its qualification.
    for position, person in (("appr_a1", "a3"), ("appr_a2", "a4")):
        services.record_finding(
            record=record(position, person),
            finding="responsible",
            category="direct",
            measures=[
                {"kind": "judicial_referral", "article": "229"},
                {"kind": "practitioner_ban"},
            ],
        )
    appraisal_body = api(
        client,
        "post",
        f"{base}/subjects/",
        {
            "track": "enterprise",
            "types": ["primary"],
            "unit": "appr",
            "entity": True,
            "reason": "出具虚假鉴定报告，单位负有责任",
        },
        201,
    )
    refused = api(
        client,
        "post",
        f"/api/v1/records/{appraisal_body['id']}/finding/",
        {"finding": "responsible", "category": "principal", "measures": [{"kind": "gov_demotion"}]},
        400,
    )
    figures["wrong_subject_refused"] = refused
    api(
        client,
        "post",
        f"/api/v1/records/{appraisal_body['id']}/finding/",
        {
            "finding": "responsible",
            "category": "principal",
            "measures": [
                {"kind": "qualification_revoke"},
                {"kind": "body_ban"},
                {"kind": "enterprise_fine", "amount_yuan": "5000000"},
            ],
        },
        201,
    )
    # The enterprise where it happened, as a legal person: fined; the other owners dealt with.
    restaurant = services.add_subject(
        case=Case.objects.get(code=CASE),
        track="enterprise",
        types=["primary"],
        unit=Unit.objects.get(code="rest"),
        entity=True,
        reason="违规在危房中经营餐饮，单位负有责任",
    )
    services.record_finding(
        record=restaurant,
        finding="responsible",
        category="important",
        measures=[{"kind": "enterprise_fine", "amount_yuan": "1000000"}, {"kind": "dishonest_list"}],
    )
    for position, person in (("rest_owner", "o2"), ("inn_owner", "o3")):
        services.record_finding(
            record=record(position, person),
            finding="responsible",
            category="important",
            measures=[{"kind": "person_fine", "amount_yuan": "50000"}],
        )
    services.record_finding(
        record=record(person="o4", track="enterprise", unit_code=""),
        finding="responsible",
        category="direct",
        measures=[{"kind": "judicial_referral", "article": "134"}],
    )

    # Officials: responsible with their category, handed over by cadre authority, decisions coming back.
    by_authority: dict[str, list[AccountabilityRecord]] = {}
    for (position, person), (category, measure) in OFFICIALS.items():
        rec = record(position, person)
        # A finding without its 处理建议 is refused (the page's and the admin's rule); the proposal here is
        # what the body with cadre authority then decides.
        bare = {"finding": "responsible", "category": category}
        api(client, "post", f"/api/v1/records/{rec.pk}/finding/", bare, 400)
        api(client, "post", f"/api/v1/records/{rec.pk}/finding/", bare | {"measures": [measure]}, 201)
        by_authority.setdefault(rec.authority, []).append(rec)
    handovers = {}
    for authority, records in by_authority.items():
        handovers[authority] = api(
            client,
            "post",
            f"{base}/handovers/",
            {"records": [r.pk for r in records], "handed_on": "2022-12-20", "authority": authority}
            | ({"receiving_body": "湖滨市监察委员会"} if authority == "other" else {}),
            201,
        )
    figures["handovers"] = handovers
    figures["blocked_waiting"] = api(client, "post", f"{base}/close/", None, 409)
    for authority, records in by_authority.items():
        for n, rec in enumerate(records, start=1):
            _category, measure = OFFICIALS[(rec.position_code, rec.person_code)]
            api(
                client,
                "post",
                f"{base}/handovers/{handovers[authority]['id']}/decisions/",
                {
                    "record": rec.pk,
                    "measure": measure,
                    "document_number": f"{BODY_PREFIX[authority]}纪发〔2023〕{n}号",
                    "decided_on": "2023-02-01",
                },
                201,
            )

    # Everyone else: not responsible (or duly exempt) — nobody is removed.
    for rec in AccountabilityRecord.objects.filter(case__code=CASE, decisions__isnull=True):
        services.record_finding(record=rec, finding="not_responsible", grounds="经调查，未发现失职失责")

    # 整改措施建议 and 警示教育, then 四不放过.
    case = Case.objects.get(code=CASE)
    for text in ("全面开展自建房安全专项整治", "加强房屋安全鉴定机构监管"):
        action = services.add_corrective_action(case=case, description=text, responsible="湖滨省人民政府")
        services.complete_corrective_action(action=action, done_on=dt.date(2023, 3, 1))
    services.record_education(
        case=case, held_on=dt.date(2023, 3, 10), description="全省警示教育大会", participants=800
    )
    figures["closed"] = api(client, "post", f"{base}/close/")
    return figures


@pytest.fixture(scope="module")
def replayed(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("import_scenario", str(OLD_HOUSE_FILE), quiet=True)
            user = User.objects.create_superuser("anweiban", password="pw-anweiban-12")
            yield replay(token_client(user))
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def figures(replayed, db):
    return replayed


def test_a0429_closes_under_four_nots_with_the_deceased_owner_and_no_measures(figures):
    case = Case.objects.get(code=CASE)
    assert case.state == CaseState.CLOSED and figures["closed"]["closing_blockers"] == []
    owner = record("house_owner", "o1").decisions.get()
    assert (owner.finding, owner.category, owner.measures.count()) == ("deceased", "direct", 0)


def test_the_appraisers_go_to_the_judiciary_under_229_and_their_body_loses_its_qualification(figures):
    for person in ("a3", "a4"):
        kinds = {
            (m.kind, m.article, m.channel)
            for m in Measure.objects.filter(decision__record__person_code=person)
        }
        assert ("judicial_referral", "229", "criminal") in kinds and (
            "practitioner_ban",
            "",
            "market_ban",
        ) in kinds
    body = AccountabilityRecord.objects.get(case__code=CASE, subject_type="entity", unit_code="appr")
    assert {m.kind for m in Measure.objects.filter(decision__record=body)} == {
        "qualification_revoke",
        "body_ban",
        "enterprise_fine",
    }
    assert "measures[0].kind" in figures["wrong_subject_refused"]


def test_the_enterprise_as_a_legal_person_is_fined(figures):
    rest = AccountabilityRecord.objects.get(case__code=CASE, subject_type="entity", unit_code="rest")
    fine = Measure.objects.get(decision__record=rest, kind="enterprise_fine")
    assert (fine.amount_yuan, fine.channel, rest.origin, rest.track) == (
        1000000,
        "administrative_penalty",
        "added",
        "enterprise",
    )


def test_officials_are_handed_over_by_cadre_authority_and_the_decisions_come_back(figures):
    bodies = {authority: h["receiving_body"] for authority, h in figures["handovers"].items()}
    assert bodies == {
        "central": "中央纪委国家监委",
        "provincial": "省纪委监委",
        "city": "市纪委监委",
        "county": "县纪委监委",
        "other": "湖滨市监察委员会",
    }
    blocked = {b["code"]: b["message"] for b in figures["blocked_waiting"]["blockers"]}
    assert "5 项移交尚未反馈" in blocked["people_not_dealt_with"]
    came_back = Measure.objects.filter(decision__record__case__code=CASE, handover__isnull=False)
    assert came_back.count() == len(OFFICIALS)
    assert all(m.document_number and m.decided_on == dt.date(2023, 2, 1) for m in came_back)
    assert not Case.objects.get(code=CASE).handovers.filter(completed_on__isnull=True).exists()


def test_an_appraisal_period_moves_the_due_date_of_the_state_council_period(figures):
    assert figures["due_opened"] == "2022-06-28"  # 60 days (Art 29)
    # 220 days set by the State Council + 40 days of appraisal (10 May – 18 June, both counted).
    assert figures["due_moved"] == "2023-01-14"
    assert dt.date(2023, 1, 14) in figures["due_reminded"]
    accident = Accident.objects.get(code="A0429")
    assert accident.event_day + dt.timedelta(days=260) == dt.date(2023, 1, 14)


def _export_json(capsys) -> dict:
    call_command("export_case", "--case", CASE, "--json")
    return json.loads(capsys.readouterr().out)


def test_export_case_json_has_the_design_shape_with_category_channel_and_authority(figures, capsys):
    data = _export_json(capsys)
    assert list(data) == [
        "case",
        "source",
        "grade",
        "nature",
        "causes",
        "investigators",
        "records",
        "corrective_actions",
        "closed",
    ]
    assert (data["case"], data["source"], data["grade"], data["nature"], data["closed"]) == (
        CASE,
        "accident:A0429",
        "especially_major",
        "liability",
        True,
    )
    assert set(data["causes"]) == {"direct", "indirect"} and all(data["causes"].values())
    assert data["investigators"] == [
        {"unit": "cn_mem", "role": "lead"},
        {"unit": "cn_housing", "role": "member"},
        {"unit": "wp_gov", "role": "member"},
    ]
    keys = ["track", "unit", "position", "person", "types", "finding", "measures", "authority", "handed_over"]
    assert all(list(r) == keys for r in data["records"])
    by_person = {r["person"]: r for r in data["records"] if r["person"]}
    assert by_person["o1"]["finding"] == {
        "outcome": "deceased",
        "category": "direct",
        "grounds": "鉴于其已在事故中死亡，免予追究",
    }
    assert by_person["a3"]["measures"][0] == {
        "form": "judicial_referral",
        "channel": "criminal",
        "article": "229",
        "months": None,
    }
    vice_mayor = by_person["hc4"]
    assert (vice_mayor["authority"], vice_mayor["finding"]["category"]) == (
        "provincial",
        "important_leadership",
    )
    (handed,) = vice_mayor["handed_over"]
    assert (handed["body"], handed["decisions"][0]["form"], handed["decisions"][0]["channel"]) == (
        "省纪委监委",
        "gov_major_demerit",
        "government_sanction",
    )
    assert vice_mayor["measures"] == [
        {"form": "gov_major_demerit", "channel": "government_sanction", "article": None, "months": 18}
    ]
    assert all(r["finding"] is not None for r in data["records"])
    assert [a["description"] for a in data["corrective_actions"]] == [
        "全面开展自建房安全专项整治",
        "加强房屋安全鉴定机构监管",
    ]


def test_export_case_docx_is_an_a4_report_with_domain_headings(figures, tmp_path):
    out = tmp_path / "a0429.docx"
    call_command("export_case", "--case", CASE, "--docx", str(out))
    document = Document(io.BytesIO(out.read_bytes()))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    level1 = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert level1 == [*HEADINGS, ANNEX]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "（一）司法机关已采取措施的人员" in text and "（三）有关单位和其他人员" in text
    assert "中管干部，移交中央纪委国家监委" in text and "省管干部，移交省纪委监委" in text
    assert "刑法第229条" in text and "鉴于其已死亡，免予追究" in text
    assert "investigation" not in text
    for name in ("Heading 1", "Heading 2"):
        assert str(document.styles[name].font.color.rgb) == "000000"
    annex = document.tables[-1]
    assert [row.cells[0].text for row in annex.rows] == [
        "组成",
        "牵头单位",
        "成员单位",
        "邀请的检察机关",
        "专家组",
    ]
    assert annex.rows[1].cells[1].text == "应急管理部"
    # Column widths follow the content: the annex's label column is narrower than its unit column.
    assert annex.columns[0].width < annex.columns[1].width
