"""The 调查组 on the workbench: a body outside the matrix, the 牵头 changed explicitly, a member withdrawn
with its reason (shown struck through), and the 回避 warning."""

from django.urls import reverse

from accountability import cases
from accountability.models import Accident, Investigator, InvestigatorRole
from responsibility.models import Unit


def _workbench(client, case) -> str:
    return client.get(reverse("accountability:case_workbench", args=[case.code])).content.decode()


def test_the_team_is_kept_on_the_workbench(inspector):
    case = cases.open_case(accident=Accident.objects.get(code="A0226")).case
    team_url = reverse("accountability:case_investigator", args=[case.code])
    em = Unit.objects.get(code="d_em")
    assert inspector.post(team_url, {"unit": em.code, "role": "lead"}).status_code == 302
    body = {"name": "区人民检察院", "role": "procuratorate", "duty": "提前介入"}
    assert inspector.post(team_url, body).status_code == 302
    # Registering the lead again as a member is refused on the form; the lead stays.
    again = inspector.post(team_url, {"unit": em.code, "role": "member"})
    assert again.status_code == 400 and "是牵头单位" in again.content.decode()
    housing = Unit.objects.get(code="d_housing")
    assert inspector.post(team_url, {"unit": housing.code, "role": "member"}).status_code == 302
    html = _workbench(inspector, case)
    assert "区人民检察院" in html and "提前介入" in html
    member = Investigator.objects.get(unit=housing)
    assert f'data-conflict="{member.pk}"' in html  # its people are subjects at the county level

    lead_url = reverse("accountability:case_team_lead", args=[case.code])
    assert inspector.post(lead_url, {"member": member.pk, "reason": "改由住建局牵头"}).status_code == 302
    assert Investigator.objects.get(unit=em).role == InvestigatorRole.MEMBER

    withdraw = reverse("accountability:case_team_withdraw", args=[case.code, member.pk])
    assert inspector.post(withdraw, {"reason": ""}).status_code == 400
    assert inspector.post(withdraw, {"reason": "本单位人员是责任主体，应当回避"}).status_code == 302
    html = _workbench(inspector, case)
    withdrawn = html[html.index('id="withdrawn-members"') :]
    assert f"<s>{housing.name}（牵头）</s>" in withdrawn and "本单位人员是责任主体，应当回避" in withdrawn
    assert f'data-conflict="{member.pk}"' not in html
