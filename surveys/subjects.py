"""Whose questionnaire a response is, and which role answers which audience: the one place for both.

A response's subject is the teacher (audience teacher, «person:7»), the school (audience
school, answered by any of its deputies, «school:3») or the municipality (answered by a
coordinator, «municipality:1»).
"""

from __future__ import annotations

from typing import Any

from surveys.model import Audience

ROLE_AUDIENCE = {"teacher": Audience.TEACHER.value, "deputy": Audience.SCHOOL.value, "coordinator": Audience.MUNICIPALITY.value}
AUDIENCE_ROLE = {audience: role for role, audience in ROLE_AUDIENCE.items()}
COORDINATOR_ROLES = ("coordinator", "admin")


def person_subject(person_id: int) -> str:
    return f"person:{person_id}"


def school_subject(school_id: int) -> str:
    return f"school:{school_id}"


def municipality_subject(municipality_id: int) -> str:
    return f"municipality:{municipality_id}"


def subject_of(person: Any, audience: str) -> str | None:
    """Whose questionnaire this person fills in for a campaign of the audience; None: not theirs to fill."""
    if ROLE_AUDIENCE.get(person.role) != audience:
        return None
    if audience == Audience.TEACHER:
        return person_subject(person.id)
    if audience == Audience.SCHOOL:
        return school_subject(person.school_id) if person.school_id else None
    return municipality_subject(person.municipality_id)


def subject_id(subject: str) -> tuple[str, int]:
    """«school:3» -> ("school", 3)."""
    kind, _, number = subject.partition(":")
    return kind, int(number)


def is_coordinator(person: Any) -> bool:
    return person is not None and person.role in COORDINATOR_ROLES
