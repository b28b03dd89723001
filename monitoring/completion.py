"""Who has answered, counted the way the indicators count: against the staff the school declared.

Teacher shares divide by the number of pedagogical workers a school declared in its
questionnaire, so completion is shown against the same number, beside the number of teachers
who registered (and so were asked); a school that has not declared its staff is named as such.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from storage.wording import percent

FORM_STATES = {"submitted": "отправлена", "draft": "начата, не отправлена", None: "не начата"}
RETURNED_STATE = "возвращена на доработку, не отправлена снова"


def form_state(status: str | None, returned: bool = False) -> str:
    """A questionnaire's state in words; a draft that is a returned one says so."""
    if returned and status == "draft":
        return RETURNED_STATE
    return FORM_STATES.get(status, FORM_STATES[None])


@dataclass(frozen=True, slots=True)
class TeacherCompletion:
    declared: int | None  # pedagogical workers declared by the school's submitted questionnaire; None: not declared
    registered: int  # teachers registered by the end of the campaign (or who answered): the people who were asked
    submitted: int
    started: int = 0  # drafts not yet submitted

    @property
    def share(self) -> Fraction | None:
        return Fraction(min(self.submitted, self.declared), self.declared) if self.declared else None

    def text(self) -> str:
        """«ответили 5 из 27 заявленных (18,5 %); зарегистрировано 5»."""
        if self.declared:
            parts = [f"ответили {self.submitted} из {self.declared} заявленных ({percent(self.share)})"]
            if self.registered != self.declared:
                parts.append(f"зарегистрировано {self.registered}")
        else:
            parts = [f"ответили {self.submitted}", "число педагогов школа не заявила", f"зарегистрировано {self.registered}"]
        if self.started:
            parts.append(f"начали {self.started}")
        return "; ".join(parts)


def total(rows: Iterable[TeacherCompletion]) -> TeacherCompletion:
    """The municipality's line over the schools that declared their staff (all of them when none did); a school's
    answers count up to its declared staff, as its share does (scoring.summary.DataState reads the same line)."""
    rows = list(rows)
    declared = [r for r in rows if r.declared]
    if not declared:
        return TeacherCompletion(None, sum(r.registered for r in rows), sum(r.submitted for r in rows), sum(r.started for r in rows))
    return TeacherCompletion(
        sum(r.declared or 0 for r in declared),
        sum(r.registered for r in declared),
        sum(min(r.submitted, r.declared or 0) for r in declared),  # a school counts at most its declared staff
        sum(r.started for r in declared),
    )


def total_text(rows: Iterable[TeacherCompletion]) -> str:
    """«ответили 120 из 300 заявленных (40,0 %); зарегистрировано 150. Школ, не заявивших число педагогов: 2 (...)»."""
    rows = list(rows)
    line = total(rows)
    undeclared = [r for r in rows if not r.declared]
    if not line.declared:
        text = f"ответили {line.submitted}; ни одна школа не заявила число педагогов; зарегистрировано {line.registered}"
    else:
        text = line.text()
    if undeclared and line.declared:
        answered = sum(r.submitted for r in undeclared)
        text += (f". Школ, не заявивших число педагогов: {len(undeclared)}"
                 f" (в них ответили {answered}, зарегистрировано {sum(r.registered for r in undeclared)})")
    return text
