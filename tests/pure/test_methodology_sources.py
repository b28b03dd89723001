"""Every indicator of the methodology is fed by a named question of a pack, or by registry data."""

from __future__ import annotations

from scoring.methodology import Kind, load_methodology
from surveys.expressions import compile_expression
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


def test_every_question_is_used_or_says_why() -> None:
    """Ask only what is used (issue 14): a question feeds an indicator (and so its recommendation), the code's
    computations (the staff denominator, P1), the report's section on teachers' development (`purpose: report`),
    or decides whether such a question is asked; otherwise it is optional and its `purpose` says why it is asked."""
    from scoring.development import report_questions
    from scoring.dynamics import PRODUCTIVE_QUESTION
    from surveys.facts import STAFF_QUESTION

    read = {(i.source.survey, name) for i in load_methodology().all for name in i.source.question_names()}
    read |= {("school", STAFF_QUESTION), ("teacher", PRODUCTIVE_QUESTION)}
    for pack_name in ("teacher", "school", "municipality"):
        pack = load_pack(pack_name)
        tallied = {q.name for q in report_questions(pack)}
        used = {q.name for q in pack.questions if (pack_name, q.name) in read or q.name in tallied}
        assert {q.name for q in pack.questions if q.purpose == "report"} <= tallied, pack_name  # report means tallied
        grown = True
        while grown:  # a question whose answer decides whether a used one is asked is used too
            before = len(used)
            for q in pack.questions:
                if q.name in used and q.relevant:
                    used |= compile_expression(q.relevant).references
            grown = len(used) > before
        for q in pack.questions:
            if q.name in used:
                continue
            assert not q.required, f"{pack_name}.{q.name}: required, and nothing uses it"
            assert q.purpose, f"{pack_name}.{q.name}: optional, and the pack does not say what it is for"
