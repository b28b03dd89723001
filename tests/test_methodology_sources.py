"""Every indicator of the methodology is fed by a named question of a pack, or by registry data."""

from __future__ import annotations

from scoring.methodology import Kind, load_methodology
from surveys.loader import load_pack
from surveys.model import QuestionType


def _codes(prefix: str, sections: dict[str, int]) -> set[str]:
    return {f"{prefix}{section}.{n}" for section, count in sections.items() for n in range(1, count + 1)}


SCHOOL_CODES = _codes("S", {"2.1": 5, "2.2": 1, "2.3": 1, "2.4": 11, "2.5": 5, "2.6": 4})
MUNICIPAL_CODES = _codes("M", {"2.1": 6, "2.2": 1, "2.3": 1, "2.4": 11, "2.5": 5, "2.6": 2})


def test_every_indicator_of_the_spec_is_in_the_data_file() -> None:
    methodology = load_methodology()
    assert {i.code for i in methodology.school_indicators} == SCHOOL_CODES
    assert {i.code for i in methodology.municipal_indicators} == MUNICIPAL_CODES


def test_every_source_question_exists_and_is_yes_no() -> None:
    packs = {name: load_pack(name) for name in ("teacher", "school", "municipality")}
    methodology = load_methodology()
    for indicator in methodology.all:
        source = indicator.source
        names = source.question_names()
        if indicator.kind in (Kind.STATUS, Kind.REGISTRY, Kind.ANY_SCHOOL) or source.statuses:
            assert source.statuses or source.flag, indicator.code
            assert not names, f"{indicator.code}: registry data and questions at once"
            continue
        assert names, f"{indicator.code} has no source question"
        pack = packs[source.survey]
        for name in names:
            assert pack.has_question(name), f"{indicator.code}: no question {name} in {source.survey}"
            assert pack.question(name).type == QuestionType.YESNO, f"{indicator.code}: {name} is not yes/no"


def test_the_school_pack_declares_the_denominator() -> None:
    question = load_pack("school").question("ped_workers")
    assert question.required and question.type == QuestionType.INTEGER and question.min == 1


def test_school_indicators_with_points_carry_a_recommendation() -> None:
    for indicator in load_methodology().school_indicators:
        assert indicator.has_rule, indicator.code
        assert indicator.recommendation, indicator.code
