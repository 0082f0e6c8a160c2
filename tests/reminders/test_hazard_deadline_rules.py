"""Hazard deadline rules with a controllable clock: 7/3/1 days before, overdue, escalation (隐患就是事故)."""

import datetime as dt

import pytest

from accountability.hazards import decide_extension, request_extension, verify_and_close
from accountability.models import Case, Notification, ReminderLog, ReminderRule
from accountability.reminders.rules import fired_offset
from responsibility.models import Tenure

from .conftest import H1_DEADLINE, notified, sent

D = dt.date(2024, 7, 10)


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


@pytest.mark.parametrize(
    ("relative_day", "expected"),
    [
        (-8, None),
        (-7, -7),
        (-6, -7),  # the day after: still the -7 window (sent once only: the claim is kept)
        (-4, -7),
        (-3, -3),
        (-2, -3),
        (-1, -1),
        (0, -1),  # the deadline itself is not overdue (DESIGN §2: past its deadline)
        (1, None),  # a reminder *before* the deadline never fires after it
    ],
)
def test_it_fires_the_approaching_threshold_whose_window_holds_the_day(rules, relative_day, expected):
    assert fired_offset(rules["hazard-deadline-approaching"], D, day(relative_day)) == expected


@pytest.mark.parametrize(
    ("relative_day", "expected"),
    [(0, None), (1, 1), (2, 1), (30, 1), (31, None)],
)
def test_it_fires_the_overdue_threshold_from_the_first_overdue_day_for_the_catch_up_days(
    rules, relative_day, expected
):
    assert fired_offset(rules["hazard-overdue"], D, day(relative_day)) == expected


def test_it_sends_each_approaching_threshold_once_on_its_day_when_swept_every_day(
    make_hazard, only_rules, run
):
    only_rules("hazard-deadline-approaching")
    hazard = make_hazard(deadline=D)
    by_day = {}
    for n in range(-9, 3):
        report = run(day(n))
        by_day[n] = sorted({offset for _, _, offset, _ in sent(report)})
    assert {n: offsets for n, offsets in by_day.items() if offsets} == {-7: [-7], -3: [-3], -1: [-1]}
    # One recipient: the holder of e2_gm is both the responsible post and the principal.
    assert ReminderLog.objects.filter(subject_id=hazard.pk).count() == 3
    assert [n.title for n in notified("p23")] == [
        f"重大隐患 {hazard.code}：隐患整改期限临近，距期限还有7天（期限 2024-07-10）",
        f"重大隐患 {hazard.code}：隐患整改期限临近，距期限还有3天（期限 2024-07-10）",
        f"重大隐患 {hazard.code}：隐患整改期限临近，距期限还有1天（期限 2024-07-10）",
    ]


def test_it_catches_up_a_missed_threshold_once_and_says_how_many_days_are_left(make_hazard, only_rules, run):
    only_rules("hazard-deadline-approaching")
    make_hazard(deadline=D)
    assert {o for _, _, o, _ in sent(run(day(-5)))} == {-7}  # the system was down on D-7
    assert sent(run(day(-4))) == set()
    assert {o for _, _, o, _ in sent(run(day(-2)))} == {-3}  # D-3 missed as well
    assert "距期限还有5天" in notified("p23")[0].title


def test_it_tells_the_responsible_holder_and_the_principal_before_the_deadline(make_hazard, only_rules, run):
    only_rules("hazard-deadline-approaching")
    hazard = make_hazard(enterprise="e1", sector="housing", responsible="e1_safety", deadline=D)
    assert sent(run(day(-7))) == {
        ("hazard-deadline-approaching", hazard.code, -7, "p19"),  # 安全总监: the responsible post
        ("hazard-deadline-approaching", hazard.code, -7, "p17"),  # 董事长: the principal
    }
    body = notified("p19")[0].body
    assert "您收到此提醒的身份：整改责任岗位。" in body


def test_it_adds_the_supervising_department_and_the_territory_once_overdue(make_hazard, only_rules, run):
    only_rules("hazard-overdue")
    hazard = make_hazard(enterprise="e1", sector="housing", responsible="e1_safety", deadline=D)
    assert sent(run(day(0))) == set()
    assert sent(run(day(1))) == {
        ("hazard-overdue", hazard.code, 1, "p19"),
        ("hazard-overdue", hazard.code, 1, "p17"),
        ("hazard-overdue", hazard.code, 1, "p14"),  # 应急管理局 (supervisory), its director
        ("hazard-overdue", hazard.code, 1, "p09"),  # 住建局 (competent), its director — not the old inspector
        (
            "hazard-overdue",
            hazard.code,
            1,
            "p16",
        ),  # 东城街道 (territorial): the vice head; the head is vacant
    }
    assert sent(run(day(2))) == set()


def test_it_escalates_to_the_leader_in_charge_who_holds_the_post_on_the_day_of_sending(
    make_hazard, only_rules, run
):
    # 住建 is in the portfolio of d_vhead_build: p06 until 2024-03-01, p07 since.
    only_rules("hazard-overdue-escalation")
    deadline = dt.date(2024, 2, 1)
    hazard = make_hazard(
        enterprise="e1", sector="housing", responsible="e1_safety", level="general", deadline=deadline
    )
    assert sent(run(deadline + dt.timedelta(days=29))) == set()
    escalated = sent(run(deadline + dt.timedelta(days=30)))
    assert ("hazard-overdue-escalation", hazard.code, 30, "p07") in escalated
    assert not any(person == "p06" for *_, person in escalated)
    assert sent(run(deadline + dt.timedelta(days=31))) == set()
    assert not Case.objects.filter(hazard=hazard).exists()  # a general hazard opens no case


def test_an_overdue_major_hazard_at_the_escalation_threshold_opens_its_case(demo_county, only_rules, run):
    only_rules("hazard-overdue-escalation")
    assert sent(run(H1_DEADLINE + dt.timedelta(days=29))) == set()
    assert not Case.objects.filter(hazard__code="H1").exists()
    assert sent(run(H1_DEADLINE + dt.timedelta(days=30))) == {
        ("hazard-overdue-escalation", "H1", 30, "p23"),
        ("hazard-overdue-escalation", "H1", 30, "p14"),
        ("hazard-overdue-escalation", "H1", 30, "p08"),  # 分管应急的副区长
    }
    case = Case.objects.get(hazard__code="H1")
    assert f"隐患就是事故：已按事故开立一案双查案件 {case.code}" in notified("p08")[0].body
    assert sent(run(H1_DEADLINE + dt.timedelta(days=31))) == set()
    assert Case.objects.filter(hazard__code="H1").count() == 1


def test_the_open_case_switch_is_data(demo_county, only_rules, run):
    (rule,) = only_rules("hazard-overdue-escalation")
    ReminderRule.objects.filter(pk=rule.pk).update(open_case=False)
    run(H1_DEADLINE + dt.timedelta(days=30))
    assert not Case.objects.filter(hazard__code="H1").exists()


def test_a_vacant_responsible_post_escalates_to_the_next_holder_up_and_says_so(make_hazard, only_rules, run):
    only_rules("hazard-deadline-approaching")
    Tenure.objects.filter(position__code="e1_safety").update(end=dt.date(2024, 6, 1))
    hazard = make_hazard(enterprise="e1", sector="housing", responsible="e1_safety", deadline=D)
    assert sent(run(day(-7))) == {
        (
            "hazard-deadline-approaching",
            hazard.code,
            -7,
            "p18",
        ),  # 分管副总: next link up the enterprise track
        ("hazard-deadline-approaching", hazard.code, -7, "p17"),
    }
    (notification,) = notified("p18")
    assert "示范建工集团有限公司安全总监岗位空缺，已升级至" in notification.body
    assert "p19" not in {log.person.code for log in ReminderLog.objects.select_related("person")}


def test_a_vacant_principal_with_nobody_above_escalates_to_the_regulator(make_hazard, only_rules, run):
    # 西山燃气 (e3): its general manager post is vacant and nobody else is named in the enterprise.
    only_rules("hazard-deadline-approaching")
    hazard = make_hazard(enterprise="e3", sector="gas", responsible=None, deadline=D)
    assert sent(run(day(-7))) == {("hazard-deadline-approaching", hazard.code, -7, "p14")}
    body = notified("p14")[0].body
    assert "岗位空缺" in body and "已升级至" in body


def test_the_responsible_holder_is_read_on_the_day_of_sending_not_the_deadline(make_hazard, only_rules, run):
    only_rules("hazard-deadline-approaching")
    hazard = make_hazard(enterprise="e1", sector="housing", responsible="e1_safety", deadline=D)
    Tenure.objects.filter(position__code="e1_safety").update(end=day(-3))
    Tenure.objects.create(
        person_id=Tenure.objects.get(position__code="e1_vp").person_id,
        position_id=hazard.responsible_position_id,
        start=day(-3),
    )
    assert ("hazard-deadline-approaching", hazard.code, -7, "p19") in sent(run(day(-7)))
    assert ("hazard-deadline-approaching", hazard.code, -3, "p18") in sent(run(day(-3)))


def test_a_hazard_closed_before_delivery_is_not_reminded(make_hazard, only_rules, run):
    only_rules("hazard-overdue")
    hazard = make_hazard(deadline=D, state="submitted", submitted_on=day(-1))
    report = run(day(1), dispatch="none")
    verify_and_close(hazard=hazard, on=day(1))
    from accountability.reminders.delivery import deliver

    assert {deliver(log_id) for log_id in report.claimed_ids} == {"skipped"}
    assert not Notification.objects.exists()
    assert set(
        ReminderLog.objects.filter(pk__in=report.claimed_ids).values_list("skip_reason", flat=True)
    ) == {"隐患已销号"}
    assert sent(run(day(2))) == set()  # closed: no longer selected


def test_an_extended_deadline_is_a_new_deadline_with_its_own_reminders(make_hazard, only_rules, run):
    only_rules("hazard-deadline-approaching")
    hazard = make_hazard(deadline=D)
    assert {o for *_, o, _ in sent(run(day(-7)))} == {-7}
    decide_extension(
        request=request_extension(hazard=hazard, new_deadline=day(10), reason="设备到货延迟"), approve=True
    )
    assert sent(run(day(-6))) == set()
    assert {(o, due) for o, due in ReminderLog.objects.values_list("offset", "due_date")} == {(-7, D)}
    assert {o for *_, o, _ in sent(run(day(3)))} == {-7}
    assert ReminderLog.objects.filter(due_date=day(10)).count() == 1
