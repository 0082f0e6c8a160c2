"""The enterprise's own page: its 全员安全生产责任清单 and who answers for it, sector by sector."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from responsibility.models import Sector, Unit

PAGE = reverse("accountability:enterprise_detail", args=["e1"])


def test_it_lists_who_answers_for_the_enterprise_in_every_one_of_its_sectors_in_the_same_queries(login):
    enterprise = login("enterprise")

    def visit():
        with CaptureQueriesContext(connection) as ctx:
            response = enterprise.get(PAGE)
        assert response.status_code == 200
        return len(ctx), response.context["regulators"]

    one_sector, blocks = visit()
    assert [block["sector"].code for block in blocks] == ["housing"]

    Unit.objects.get(code="e1").sectors.add(*Sector.objects.filter(code__in=["hazchem", "gas", "road"]))
    four_sectors, blocks = visit()

    shown = {block["sector"].code: {link["type_label"] for link in block["links"]} for block in blocks}
    assert set(shown) == {"housing", "hazchem", "gas", "road"}
    assert all("属地管理责任" in types for types in shown.values()), shown
    assert four_sectors == one_sector
