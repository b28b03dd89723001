"""The monitoring calendar's file: what the methodology says, and a wrong file refused in Russian."""

from __future__ import annotations

import pytest

from monitoring import calendar as mc

CALENDAR = mc.load_calendar()


def test_the_calendar_file_follows_the_methodology() -> None:
    """Identification in December and its analysis in January; professional deficits in June; further training in
    May and November; programme effectiveness in February and September; each pack opens once a school year."""
    months = {}
    for entry in CALENDAR.entries():
        months.setdefault(entry.monitoring.key, set()).add(entry.item.month)
        assert entry.monitoring.source and entry.item.purpose
    assert months == {"identification": {12, 1}, "deficits": {6}, "training": {5, 11}, "effectiveness": {2, 9}}
    opened = [e.item.opens for e in CALENDAR.entries() if e.item.opens]
    assert sorted(opened) == ["municipality", "school", "teacher"]  # one campaign per pack and period
    assert [e.item.month for e in CALENDAR.entries()] == [9, 11, 12, 1, 2, 2, 5, 6]  # the school year's order


def test_a_wrong_calendar_file_is_refused_in_russian(tmp_path) -> None:
    text = (mc.DEFAULT_FILE.read_text(encoding="utf-8")
            .replace("opens: municipality", "opens: school").replace("day: 20\n", "day: 31\n", 1))
    bad = tmp_path / "calendar.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(mc.CalendarError, match="анкета school открывается дважды за учебный год"):
        mc.load_calendar(bad)
    bad.write_text(mc.DEFAULT_FILE.read_text(encoding="utf-8").replace("day: 10\n", "day: 30\n", 1).replace("month: 11", "month: 2", 1),
                   encoding="utf-8")
    with pytest.raises(mc.CalendarError, match="дня 30.02 бывает не каждый год"):
        mc.load_calendar(bad)
    bad.write_text(mc.DEFAULT_FILE.read_text(encoding="utf-8").replace("{previous_period}", "{last_year}"), encoding="utf-8")
    with pytest.raises(mc.CalendarError, match=r"неизвестная подстановка \{last_year\}"):
        mc.load_calendar(bad)
