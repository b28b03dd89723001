"""«Профессиональное развитие педагогов»: the teacher questions no indicator reads, tallied.

A pack marks such a question `purpose: report` (surveys/packs/teacher.yaml): the kinds of
deficits diagnosed, the ИОМ's state, the forms of support, membership of a municipal methodical
association, municipal internships, courses, positions and subjects. Here they are counted over
the period's submitted teacher questionnaires, per school and for the municipality: how many
teachers answered the question, and how many chose each answer (a multiple choice counts each
option picked). The summary workbook shows them on a sheet of their own.

Plain data only: the database counts them in scoring.data.development_tallies.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from surveys.model import Question, QuestionType, Survey

TALLIED = (QuestionType.YESNO, QuestionType.SINGLE, QuestionType.MULTIPLE)


def report_questions(survey: Survey) -> list[Question]:
    """The questions of a pack that its report tallies."""
    return [q for q in survey.questions if q.purpose == "report" and q.type in TALLIED]


def answer_options(question: Question) -> list[tuple[str, str]]:
    """(value, label) of the answers a tally counts: «да» alone for a yes/no question."""
    if question.type == QuestionType.YESNO:
        return [("yes", "да")]
    return [(c.name, c.label) for c in question.choices]


@dataclass
class Tally:
    question: Question
    answered: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # school id -> teachers who answered
    chosen: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def total_answered(self) -> int:
        return sum(self.answered.values())

    def total_chosen(self, value: str) -> int:
        return sum(self.chosen[value].values())
