"""A case over the hazard's life on its page and in its report (DESIGN §5.9, §5.10): earlier holders with
their term, posts not on record, and the investigation team with the note that its part goes above."""

from io import BytesIO

import pytest
from django.contrib.auth.models import User
from docx import Document

from accountability.cases import open_case
from accountability.models import Accident


@pytest.fixture
def case(old_house):
    return open_case(accident=Accident.objects.get(code="A0429")).case


@pytest.fixture
def chief(client, db):
    client.force_login(User.objects.create_superuser("chief", password="x"))
    return client


def test_the_workbench_shows_terms_unknowns_the_period_and_the_team(case, chief):
    page = chief.get(f"/cases/{case.code}/").content.decode()

    assert "在任期间 2018-05-01 至 2020-05-31" in page
    assert "未录入" in page
    assert "2018-05-01 至 2022-04-29" in page
    assert "应急管理部（牵头）" in page and "其责任由上级另行处理" in page


def test_the_word_report_names_the_earlier_terms_and_the_team(case, chief):
    response = chief.get(f"/cases/{case.code}/report.docx")
    document = Document(BytesIO(response.content))
    rows = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    text = "\n".join([p.text for p in document.paragraphs] + [c for row in rows for c in row])

    assert "在任期间 2018-05-01 至 2020-05-31" in text
    # The annex (调查组组成) names the leading unit in its row.
    assert ["牵头单位", "应急管理部"] in rows


def test_the_person_view_shows_a_case_in_which_the_person_answers_for_an_earlier_term(case, chief):
    from responsibility.models import Person

    person = Person.objects.get(code="hd4")
    page = chief.get(f"/people/{person.code}/").content.decode()

    assert case.code in page
    assert "在任期间 2018-05-01 至 2020-05-31" in page
