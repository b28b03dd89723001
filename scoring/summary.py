"""The summary as plain data: what scoring.service reads from the database and every renderer
(scoring.text, scoring.report, scoring.word) turns into text, a workbook, charts or a document.

Nothing here touches a database: a test builds a Summary by hand and renders it every way.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

from monitoring import completion as completion_counts
from monitoring.completion import TeacherCompletion
from scoring.development import Tally
from scoring.dynamics import SchoolDynamics, Share
from scoring.identification import Status
from scoring.indicators import PeriodScores, SchoolScore
from scoring.methodology import Methodology

if TYPE_CHECKING:
    from monitoring.returns import ReturnEvent

SUBMITTED = "submitted"  # storage.models.ResponseStatus.SUBMITTED (a StrEnum: equal to its value)


class Place(Protocol):
    """What the renderers read of a municipality: storage.models.Municipality, or plain data in a test."""

    name: str
    identification_method: str
    timezone: str


@dataclass
class Completion:
    """Who has answered in the period.

    teachers: per school asked to answer the teacher questionnaire, its teachers against the
    declared staff and the teachers registered by the end of the campaign (the people asked
    then, not the people registered now); schools outside the campaign's audience are absent.
    """

    teachers: dict[int, TeacherCompletion] = field(default_factory=dict)
    school_form: dict[int, str] = field(default_factory=dict)  # school id -> submitted | draft
    municipality_form: str | None = None
    audiences: frozenset[str] = frozenset()  # which questionnaires the period had: teacher, school, municipality
    school_audience: frozenset[int] | None = None  # the schools the school questionnaire asked; None: every school
    returns: list[ReturnEvent] = field(default_factory=list)  # questionnaires returned for correction, oldest first

    @property
    def returned_forms(self) -> set[int]:
        """Schools whose questionnaire was returned for correction and is not sent again (it is not scored)."""
        return {r.school_id for r in self.returns if r.pending and r.school_form and r.school_id is not None}

    @property
    def returned_teachers(self) -> int:
        """Teacher questionnaires returned for correction and not sent again (not counted as answered)."""
        return sum(r.pending and not r.school_form for r in self.returns)


COMPLETE_AT = 90  # per cent of the declared staff; a municipality sets its own (Municipality.complete_at)


@dataclass(frozen=True)
class DataState:
    """How complete the data behind a document are, and when it was made: the one definition of each count
    that every section and every renderer uses (scoring.shown says it in words)."""

    as_of: dt.datetime | None  # when the document was made, in the municipality's time zone
    open_until: dt.datetime | None  # a campaign of the period collects until then (the latest deadline); None: none does
    teachers_asked: bool  # the period had a teacher questionnaire
    teachers_answered: int  # teacher questionnaires submitted, in every school
    teachers_declared: int  # pedagogical workers declared by the schools that declared them
    teachers_answered_declared: int  # answered in those schools, at most each school's declared number
    schools_undeclared: int  # schools asked whose staff is not declared
    schools_sent: int | None  # school questionnaires submitted; None: the period has none
    schools_total: int
    municipality_sent: bool | None  # None: the period has no municipal questionnaire
    complete_at: int = COMPLETE_AT

    @property
    def completion(self) -> Fraction | None:
        """Teachers who answered, against the staff the schools declared."""
        if not self.teachers_declared:
            return None
        return Fraction(self.teachers_answered_declared, self.teachers_declared)

    @property
    def reasons(self) -> list[str]:
        """Why the data are incomplete, in words; empty: complete."""
        out = []
        if self.open_until is not None:
            out.append("сбор данных не завершён")
        if self.teachers_asked:
            share = self.completion
            if share is None:
                out.append("школы не заявили число педагогов")
            elif share * 100 < self.complete_at:
                out.append(f"ответили менее {self.complete_at} % педагогов")
        if self.schools_sent is not None and self.schools_sent < self.schools_total:
            out.append("анкеты прислали не все школы")
        if self.municipality_sent is False:
            out.append("анкета муниципалитета не отправлена")
        return out

    @property
    def incomplete(self) -> bool:
        return bool(self.reasons)


@dataclass
class Summary:
    municipality: Place
    period: str
    methodology: Methodology
    scores: PeriodScores
    completion: Completion
    statuses: dict[int, Status]
    history: list[PeriodScores]  # every period on record up to this one, oldest first, this one included
    dynamics: list[tuple[str, dict[str, Share]]]
    school_dynamics: list[SchoolDynamics]
    raw: list[dict[str, Any]]  # the first RAW_ROWS answers of the period
    raw_truncated: bool  # there are more answers than RAW_ROWS
    periods: list[str] = field(default_factory=list)  # every period on record
    current_year: str | None = None  # the school year of today in the municipality
    surveys: dict[int, Any] = field(default_factory=dict)  # survey version id -> Survey of the raw answers
    development: list[Tally] = field(default_factory=list)  # scoring.development tallies of the period
    as_of: dt.datetime | None = None  # when it was made, in the municipality's time zone
    open_until: dt.datetime | None = None  # the latest deadline of the period's campaigns still collecting
    stops: list[Any] = field(default_factory=list)  # scoring.stops.PackStops: where people stop, per questionnaire
    refreshing: bool = False  # data changed after as_of and a newer summary is being built (scoring.dashboard)

    @property
    def state(self) -> DataState:
        c = self.completion
        rows = list(c.teachers.values())
        declaring = [r for r in rows if r.declared]
        asked = [s.school.id for s in self.scores.schools
                 if c.school_audience is None or s.school.id in c.school_audience]
        line = completion_counts.total(rows)
        return DataState(
            as_of=self.as_of,
            open_until=self.open_until,
            teachers_asked="teacher" in c.audiences,
            teachers_answered=sum(r.submitted for r in rows),
            teachers_declared=line.declared or 0,
            teachers_answered_declared=line.submitted if line.declared else 0,
            schools_undeclared=len(rows) - len(declaring),
            schools_sent=sum(self.form_sent(sid) for sid in asked) if self.school_form_expected else None,
            schools_total=len(asked),
            municipality_sent=(c.municipality_form == SUBMITTED) if "municipality" in c.audiences else None,
            complete_at=getattr(self.municipality, "complete_at", None) or COMPLETE_AT,
        )

    @property
    def school_names(self) -> dict[int, str]:
        return {s.school.id: s.school.short_name for s in self.scores.schools}

    @property
    def school_form_expected(self) -> bool:
        return "school" in self.completion.audiences

    def form_sent(self, school_id: int) -> bool:
        return self.completion.school_form.get(school_id) == SUBMITTED

    def unsent(self) -> list[SchoolScore]:
        """Schools whose questionnaire the period asked for and did not get: their points are incomplete."""
        if not self.school_form_expected:
            return []
        return [s for s in self.scores.schools if not self.form_sent(s.school.id)]

    def lowest(self, n: int = 5) -> list[SchoolScore]:
        """The lowest scorers among the schools whose data is in (not those that sent nothing)."""
        left_out = {s.school.id for s in self.unsent()}
        ranked = sorted((s for s in self.scores.schools if s.school.id not in left_out), key=lambda s: (s.ratio, s.school.name))
        return ranked[:n]


@dataclass
class ReportInput:
    """What the Word report is made of: the summary (every period on record up to the chosen one) and the
    deputies registered per school."""

    summary: Summary
    deputies: dict[int, list[str]]
    today: dt.date  # the municipality's date the report is made on


def default_period(periods: list[str], current_year: str) -> str:
    """The current school year when it is on record, otherwise the latest period that is."""
    return current_year if current_year in periods else periods[-1]


@dataclass(frozen=True, slots=True)
class CompletionRow:
    school: str
    teachers: TeacherCompletion | None  # None: the school was not asked (outside the teacher campaign's audience)
    form: str | None  # the school questionnaire: submitted | draft | None
    returned: bool = False  # the school questionnaire was returned for correction and is not sent again


def completion_by_school(summary: Summary) -> list[CompletionRow]:
    c = summary.completion
    returned = c.returned_forms
    return [
        CompletionRow(score.school.short_name, c.teachers.get(score.school.id), c.school_form.get(score.school.id),
                      score.school.id in returned)
        for score in summary.scores.schools
    ]


def schools_by_status(summary: Summary) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for score in summary.scores.schools:
        groups[score.school.status.title()].append(score.school.short_name)
    return dict(groups)
