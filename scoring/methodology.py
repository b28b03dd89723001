"""The methodology as data: indicators, their sources, point rules and recommendations.

The file is scoring/methodology.yaml by default; a municipality can point the METHODOLOGY_FILE
setting at its own copy to change thresholds and rules without a release.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_FILE = Path(__file__).parent / "methodology.yaml"

STATUSES = ("shnro", "shnsu", "risk_zone")
REGISTRY_FLAGS = ("municipal_internship_site", "regional_internship_site")


class Kind(StrEnum):
    ANSWER = "answer"
    STATUS = "status"
    REGISTRY = "registry"
    TEACHER_SHARE = "teacher_share"
    SCHOOL_SHARE = "school_share"
    ANY_SCHOOL = "any_school"


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    survey: Literal["teacher", "school", "municipality"] | None = None
    question: str | None = None
    questions: tuple[str, ...] = ()
    at_least: int = 1
    any_teacher: bool = False
    statuses: tuple[Literal["shnro", "shnsu", "risk_zone"], ...] = ()
    flag: Literal["municipal_internship_site", "regional_internship_site"] | None = None

    def question_names(self) -> tuple[str, ...]:
        return ((self.question,) if self.question else ()) + self.questions


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[SM]\d+\.\d+\.\d+$")
    title: str
    kind: Kind
    source: Source
    points: dict[str, int] | None = None
    threshold: float | None = Field(default=None, ge=0, le=1)
    comparison: Literal[">=", ">"] | None = None
    applies_to: Literal["all", "risk_zone"] = "all"
    schools: Literal["all", "shnro_shnsu", "risk_zone"] = "all"
    recommendation: str | None = None
    short: str = ""  # a short name beside the code (the matrix header, the charts)
    decision: str | None = None  # the report's «Решили» line where it scored 0 (schools listed after it)

    @property
    def has_rule(self) -> bool:
        return self.points is not None or self.threshold is not None

    @property
    def criterion(self) -> str:
        """The methodology's section: S2.4.4 and M2.4.4 belong to criterion 2.4."""
        return ".".join(self.code[1:].split(".")[:2])

    @property
    def label(self) -> str:
        """«S2.4.4 ИОМ педагогов»: the code with its short name."""
        return f"{self.code} {self.short}".strip()

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        if (self.threshold is None) != (self.comparison is None):
            raise ValueError(f"{self.code}: threshold and comparison go together")
        if self.points is not None and set(self.points) != {"yes", "no"}:
            raise ValueError(f"{self.code}: points must give 'yes' and 'no'")
        src = self.source
        if self.kind in (Kind.ANSWER, Kind.TEACHER_SHARE) and not (src.survey and src.question):
            raise ValueError(f"{self.code}: {self.kind} needs source.survey and source.question")
        if self.kind in (Kind.REGISTRY, Kind.ANY_SCHOOL) and not src.flag:
            raise ValueError(f"{self.code}: {self.kind} needs source.flag")
        if self.kind == Kind.STATUS and not src.statuses:
            raise ValueError(f"{self.code}: status needs source.statuses")
        if self.kind == Kind.SCHOOL_SHARE and not (src.statuses or src.question_names()):
            raise ValueError(f"{self.code}: school_share needs statuses or questions")
        return self


class Methodology(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    school_indicators: tuple[Indicator, ...]
    municipal_indicators: tuple[Indicator, ...]
    criteria: dict[str, str] = Field(default_factory=dict)  # "2.4" -> its title (the report's «Критерий»)

    def criterion_title(self, indicator: Indicator) -> str:
        return self.criteria.get(indicator.criterion, indicator.criterion)

    @property
    def all(self) -> tuple[Indicator, ...]:
        return self.school_indicators + self.municipal_indicators

    def indicator(self, code: str) -> Indicator:
        for ind in self.all:
            if ind.code == code:
                return ind
        raise KeyError(code)


def load_methodology(path: str | Path | None = None) -> Methodology:
    path = Path(path) if path else DEFAULT_FILE
    return Methodology.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
