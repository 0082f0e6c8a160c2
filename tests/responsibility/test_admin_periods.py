"""The admin of DESIGN §5: certifications with their signers, a permit that never expires, a post's
records_from, and an accident's period, sectors and investigation team — in Chinese, with history."""

from django.urls import reverse

from accountability.models import Accident
from responsibility.models import Certification, Permit, Position, Unit


def url(app, model, view, *args):
    return reverse(f"admin:{app}_{model}_{view}", args=args)


def certification_form(**fields):
    house, appr = Unit.objects.get(code="house"), Unit.objects.get(code="appr")
    data = {
        "code": "CF_NEW",
        "kind": "appraisal",
        "issuer": appr.pk,
        "enterprise": house.pk,
        "sector": house.sectors.get().pk,
        "issued_on": "2022-01-10",
        "valid_until": "",
        "conclusion": "可正常使用",
        "signer_rows-TOTAL_FORMS": "1",
        "signer_rows-INITIAL_FORMS": "0",
        "signer_rows-0-order": "0",
        "signer_rows-0-position": Position.objects.get(code="appr_a1").pk,
    }
    return data | fields


def test_a_certification_is_added_with_its_signer_and_kept_in_history(old_house, admin_client):
    response = admin_client.post(url("responsibility", "certification", "add"), certification_form())

    assert response.status_code == 302, response.content.decode()[:2000]
    certification = Certification.objects.get(code="CF_NEW")
    assert [row.position.code for row in certification.signer_rows.all()] == ["appr_a1"]
    assert certification.history.count() == 1
    page = admin_client.get(url("responsibility", "certification", "changelist")).content.decode()
    assert "谁出具谁负责" in page and "CF_NEW" in page


def test_a_signer_outside_the_issuer_is_refused_at_its_field_and_nothing_is_written(old_house, admin_client):
    data = certification_form(**{"signer_rows-0-position": Position.objects.get(code="house_owner").pk})

    response = admin_client.post(url("responsibility", "certification", "add"), data)

    assert response.status_code == 200
    assert "不属于出具机构 appr" in response.content.decode()
    assert not Certification.objects.filter(code="CF_NEW").exists()


def test_a_validity_before_the_issue_day_is_refused(old_house, admin_client):
    response = admin_client.post(
        url("responsibility", "certification", "add"), certification_form(valid_until="2021-01-01")
    )

    assert response.status_code == 200
    assert "有效期至不能早于出具日期" in response.content.decode()


def test_a_permit_without_an_end_is_saved_as_never_expiring(old_house, admin_client):
    permit = Permit.objects.get(code="PM_FOOD")
    data = {
        "code": permit.code,
        "name": "食品经营许可",
        "enterprise": permit.enterprise_id,
        "sector": permit.sector_id,
        "position": permit.position_id,
        "approved_on": "2020-04-20",
        "valid_until": "",
    }

    response = admin_client.post(url("responsibility", "permit", "change", permit.pk), data)

    assert response.status_code == 302
    permit.refresh_from_db()
    assert permit.valid_until is None


def test_the_accident_page_shows_its_period_sectors_and_investigation_team(old_house, admin_client):
    accident = Accident.objects.get(code="A0429")

    page = admin_client.get(url("accountability", "accident", "change", accident.pk)).content.decode()

    for text in ("隐患形成日期", "2018/05/01", "同时涉及的行业", "调查组", "应急管理部"):
        assert text in page, text


def test_a_position_carries_the_day_its_records_start(old_house, admin_client):
    position = Position.objects.get(code="wv_director")

    page = admin_client.get(url("responsibility", "position", "change", position.pk)).content.decode()

    assert "任职记录完整起始日" in page and "2021/01/01" in page
