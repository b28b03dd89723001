"""The charts on plain data: municipalities of 5, 30 and 150 schools built by hand (no database), read as the
model of what is drawn (scoring.charts.albums) and as the PNGs it draws.

Each municipality has schools of every kind the chart must tell apart: ones with every answer, ones in the
risk zone, ones whose questionnaire is not sent (some indicators without data), ones that sent nothing at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from dataclasses import dataclass
from fractions import Fraction

import pytest
from PIL import Image as PILImage

from monitoring.completion import TeacherCompletion
from scoring import charts, shown
from scoring.dynamics import period_dynamics
from scoring.identification import Status
from scoring.indicators import PeriodData, SchoolInfo, SchoolScore, TeacherCounts, Value, score_period
from scoring.methodology import load_methodology
from scoring.summary import Completion, Summary

METHODOLOGY = load_methodology()
AS_OF = dt.datetime(2026, 12, 7, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=5)))
QUESTIONS = ("diagnostics", "support_received", "network_association", "rma_member", "has_iom", "quality_events",
             "internship_elsewhere")


@dataclass
class Town:
    name: str = "Тестовский городской округ"
    identification_method: str = "regional_lists"
    timezone: str = "Asia/Yekaterinburg"


def _form(staff: int, yes: bool) -> dict:
    answer = "yes" if yes else "no"
    return dict(
        ped_workers=staff, quality_programme=answer, risk_internet="no", risk_computers="no", risk_staff="no",
        analytic_report=answer, leader_support=answer, methodical_landing="no", shppko=answer, wellbeing_monitoring=answer,
        failure_prevention="no", iup=answer, tutor_support="no", practices_events=answer,
        deficit_assessment=answer, internet_risk_removed="no", computers_risk_removed="no",
    )


def _kind(n: int) -> str:
    """Every seventh school sent nothing, every fifth did not send its questionnaire, the rest sent everything."""
    return "nothing" if n % 7 == 3 else "no_form" if n % 5 == 2 else "all"


def town(schools: int, periods: tuple[str, ...] = ("2025-2026", "2026-2027"), *, collecting: bool = True,
         complete: bool = False) -> Summary:
    """A municipality of `schools`; `complete`: every school sent everything and every teacher answered."""
    kind = (lambda n: "all") if complete else _kind
    infos = [SchoolInfo(n, f"МАОУ СОШ № {n}", f"СОШ {n}", Status(shnro=n % 4 == 0, risk_zone=n % 6 == 1))
             for n in range(1, schools + 1)]
    staff = {s.id: 10 for s in infos}
    history = []
    for index, period in enumerate(periods):
        last = index == len(periods) - 1
        forms = {s.id: _form(staff[s.id], yes=(s.id + index) % 3 != 0) for s in infos if kind(s.id) == "all"}
        answers = [{"school_id": s.id, **{q: "yes" if (k + s.id + index) % 3 else "no" for q in QUESTIONS}}
                   for s in infos if kind(s.id) != "nothing" for k in range(10 if complete else 4 + s.id % 5)]
        municipal = dict(programme_identification="yes", programme_shnro_indicators="yes", programme_risk_section="no",
                         programme_risk_indicators="yes", practices_system="yes", resource_monitoring="no")
        history.append(score_period(METHODOLOGY, PeriodData(period, infos, forms, TeacherCounts.from_answers(answers),
                                                            municipal, collecting=collecting and last)))
    statuses = {s.id: s.status for s in infos}
    dynamics, school_dynamics = [], []
    for period in periods:
        shares, per_school = period_dynamics(period, statuses, {}, set())
        dynamics.append((period, shares))
        school_dynamics += per_school
    completion = Completion(
        teachers={s.id: TeacherCompletion(10, 10, 10 if complete else 0 if kind(s.id) == "nothing" else 4 + s.id % 5)
                  for s in infos},
        school_form={s.id: "submitted" for s in infos if kind(s.id) == "all"},
        municipality_form="submitted",
        audiences=frozenset({"teacher", "school", "municipality"}),
    )
    return Summary(Town(), periods[-1], METHODOLOGY, history[-1], completion, statuses, history, dynamics, school_dynamics,
                   raw=[], raw_truncated=False, periods=list(periods), current_year=periods[-1], as_of=AS_OF,
                   open_until=AS_OF + dt.timedelta(days=8) if collecting else None)


@pytest.fixture(scope="module", params=[5, 30, 150])
def summary(request) -> Summary:
    return town(request.param)


def _images(albums: list[charts.Album]) -> list[charts.Image]:
    return [image for album in albums for image in album.images]


def _school_rows(albums: list[charts.Album]) -> list[charts.Row]:
    return [row for image in _images(albums) if image.kind == "schools" for row in image.rows if not row.heading]


def test_every_image_fits_a_phone_and_is_what_the_model_says(summary):
    albums = charts.albums(summary)
    for caption, photos in charts.images(summary):
        assert len(caption) <= 1024  # a Telegram photo's caption
        for name, png in photos:
            width, height = PILImage.open(io.BytesIO(png)).size
            assert width == charts.WIDTH == 1080 and height <= 1350, name
            model = next(i for i in _images(albums) if i.name == name)
            assert height == model.height
    names = [i.name for i in _images(albums)]
    assert names == [f"chart_{n}.png" for n in range(1, len(names) + 1)]  # chart_1.png … chart_N.png
    # readable without zoom: no text under 28 px, every line and label fitted to its width
    assert charts.TEXT >= 28 and charts.RC["font.size"] >= 28
    for image in _images(albums):
        assert all(line.size >= 28 and charts.measure(line.text, line.size, line.bold) <= charts.CONTENT for line in image.head)
        for row in image.rows:
            width = charts.NAME_WIDTH if image.kind == "schools" and not row.heading else charts.CONTENT
            assert charts.measure(row.label, bold=row.heading) <= width, row.label


def test_the_number_of_images_is_bounded_and_the_rest_is_in_the_workbook(summary):
    albums = charts.albums(summary)
    schools = len(summary.scores.schools)
    assert len(_images(albums)) <= 10 and all(len(a.images) <= 10 for a in albums)
    rows = _school_rows(albums)
    caption = albums[-1].caption
    if len(rows) < schools:  # 150 schools: the highest scorers are left to the workbook, and the caption says so
        assert schools == 150
        assert f"На изображениях {len(rows)} из {schools} школ; ещё {schools - len(rows)} — с наибольшей долей баллов" \
            in caption
        assert "в файле Excel, лист «Показатели школ»" in caption
        # those left out scored more than every ranked school shown
        shown_names = {r.label for r in rows}
        out = [s for s in summary.scores.schools if s.school.short_name not in shown_names]
        ranked = [s for s in summary.scores.schools if s.school.short_name in shown_names and s.maximum
                  and summary.form_sent(s.school.id)]
        assert min(s.ratio for s in out) >= max(s.ratio for s in ranked)
    else:
        assert sorted(r.label for r in rows) == sorted(s.school.short_name for s in summary.scores.schools)
        assert "лист «Показатели школ»" not in caption


def test_no_data_is_a_mark_never_a_bar(summary):
    albums = charts.albums(summary)
    rows = {r.label: r for r in _school_rows(albums)}
    scale = next(i for i in _images(albums) if i.kind == "schools").scale
    for score in summary.scores.schools:
        row = rows.get(score.school.short_name)
        if row is None:
            continue
        missing = [m for m in row.marks if m.kind == charts.NO_DATA]
        if not score.maximum:  # nothing to count (sent nothing): no bar at all, the mark says why
            assert row.bar is None
            assert missing and missing[0].text.startswith("нет данных"), row
            continue
        # a bar is the points against what the indicators with data could give, never longer for missing data
        assert (row.bar.length, row.bar.possible) == (score.total, score.maximum)
        assert row.bar.possible <= scale == max(s.maximum for s in summary.scores.schools)
        assert [m.text for m in missing] == ([str(len(score.no_data))] if score.no_data else [])
        pending = [m.text for m in row.marks if m.kind == charts.UNDECIDED]
        assert pending == ([str(len(score.pending))] if score.pending else [])
    # a school that sent nothing: its bar is what its statuses give (the register's), the rest a mark, and it comes
    # after the ranked schools
    nothing = next(s for s in summary.scores.schools if _kind(s.school.id) == "nothing")
    row = rows[nothing.school.short_name]
    assert row.bar.possible == 3 and row.marks == (charts.Mark(charts.NO_DATA, "20"),)
    order = [r.label for r in _school_rows(albums)]
    ranked = [n for n in order if summary.form_sent(int(n.split()[1]))]
    assert order[:len(ranked)] == ranked  # the ranking first, the schools without their data after it, under a heading
    ratios = [rows[n].bar.length / rows[n].bar.possible for n in ranked]
    assert ratios == sorted(ratios)
    schools = [i for i in _images(albums) if i.kind == "schools"]
    headed = [image for image in schools if any(r.heading for r in image.rows)]
    assert headed and all(image.rows[-1].heading is False for image in schools)
    for image in headed:
        labels = [r.label for r in image.rows]
        heading = next(n for n, r in enumerate(image.rows) if r.heading)
        assert labels[heading] == "Анкета школы не отправлена: вне рейтинга"
        assert all(not summary.form_sent(int(label.split()[1])) for label in labels[heading + 1:])
        assert all(summary.form_sent(int(label.split()[1])) for label in labels[:heading])


def test_a_school_with_nothing_to_count_has_no_bar():
    school = SchoolInfo(9, "МКОУ Ключевская ООШ", "Ключевская ООШ", Status())
    missing = {c: Value(c, 9, max_points=1, reason="not_sent") for c in ("S2.1.1", "S2.4.4", "S2.5.3")}
    row = charts.school_row(SchoolScore(school, missing))
    assert row.bar is None and row.marks == (charts.Mark(charts.NO_DATA, "нет данных: анкета школы не отправлена"),)
    waiting = charts.school_row(SchoolScore(school, {"S2.4.4": Value("S2.4.4", 9, value=Fraction(1, 2), max_points=1,
                                                                     pending=True)}))
    assert waiting.bar is None and waiting.marks[0].kind == charts.UNDECIDED
    nothing = charts.school_row(SchoolScore(school, {"S2.1.3": Value("S2.1.3", 9, applies=False)}))
    assert nothing.bar is None and nothing.marks[0].kind == charts.NOT_APPLICABLE


def test_the_model_tells_apart_no_data_not_applicable_and_undecided():
    indicator = next(i for i in METHODOLOGY.municipal_indicators if i.code == "M2.4.4")
    missing = charts.share_row(indicator, Value("M2.4.4", None, max_points=1, reason="no_teacher_answers"))
    assert missing.bar is None and missing.marks == (charts.Mark(charts.NO_DATA, "нет данных: педагоги не ответили"),)
    assert missing.note == "порог ≥ 70,0 %"
    absent = charts.share_row(indicator, Value("M2.4.4", None, applies=False))
    assert absent.bar is None and absent.marks == (charts.Mark(charts.NOT_APPLICABLE, "не применяется"),)
    waiting = charts.share_row(indicator, Value("M2.4.4", None, value=Fraction(1, 2), max_points=1, pending=True))
    assert waiting.bar.length == 50 and waiting.bar.colour == charts.PENDING and waiting.bar.text == "50,0 %"
    assert waiting.bar.threshold == 70 and waiting.marks == (charts.Mark(charts.UNDECIDED, "балл не определён"),)
    below = charts.share_row(indicator, Value("M2.4.4", None, value=Fraction(1, 2), points=0, max_points=1))
    assert below.bar.colour == charts.BELOW and below.marks == ()


def test_every_image_says_when_and_how_complete():
    collecting = town(5)
    over = town(5, collecting=False, complete=True)
    assert collecting.state.incomplete and not over.state.incomplete
    for summary in (collecting, over):
        albums = charts.albums(summary)
        for image in _images(albums):
            head = " ".join(line.text for line in image.head)
            assert head.startswith("Тестовский городской округ, 2026-2027")
            assert "По состоянию на 07.12.2026 12:30" in head
            assert ("Данные неполные: сбор данных не завершён" in head) == (summary is collecting)
            assert ("Баллы школ" in head) == (image.kind == "schools")
        for album in albums:
            assert shown.state_line(summary.state) in album.caption
            assert ("Данные неполные" in album.caption) == (summary is collecting)
            assert shown.heading(summary.state) in album.caption
    heads = {image.kind: image.head[1].text for image in _images(charts.albums(collecting))}
    assert heads == {"shares": charts.SHARES_WHAT, "dynamics": charts.DYNAMICS_WHAT, "schools": charts.SCHOOLS_WHAT}


def test_dynamics_over_the_last_periods_only():
    single = charts.albums(town(5, ("2026-2027",)))
    assert [i.kind for i in _images(single)] == ["shares", "shares", "schools"]  # one period: nothing to compare
    years = tuple(f"{y}-{y + 1}" for y in range(2020, 2027))
    albums = charts.albums(town(5, years))
    dynamics = next(i for i in _images(albums) if i.kind == "dynamics")
    assert {p.periods for p in dynamics.panels} == {years[-charts.MAX_PERIODS:]}
    assert "Последние 4 периода из 7; все — в файле Excel, лист «Динамика»" in " ".join(line.text for line in dynamics.head)
    assert [p.title for p in dynamics.panels][:2] == ["Диагностика дефицитов", "Поддержка педагогов"]
    png = charts.render(dynamics)
    assert PILImage.open(io.BytesIO(png)).size[1] == dynamics.height <= 1350


def test_long_names_are_cut_to_their_column():
    summary = town(5)
    long = "Муниципальное автономное общеобразовательное учреждение «Средняя школа с углублённым изучением»"
    schools = [dataclasses.replace(s, school=dataclasses.replace(s.school, short_name=long)) if s.school.id == 1 else s
               for s in summary.scores.schools]
    summary.scores = dataclasses.replace(summary.scores, schools=schools)
    rows = _school_rows(charts.albums(summary))
    cut = next(r.label for r in rows if r.label.startswith("Муниципальное"))
    assert cut.endswith("…") and charts.measure(cut) <= charts.NAME_WIDTH
