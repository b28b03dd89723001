"""What the product knows about a respondent's school in a campaign's period, for skip logic.

A survey reads these read-only facts as XPath variables in `relevant` and `constraint`:
`$risk_zone` (no braces; `${name}` is a question). The loader refuses a name not listed here.
They come from the database (surveys.store.school_facts: statuses, the registry, earlier
questionnaires), never from the respondent, so a deputy of a risk-zone school is asked the
risk-zone questions and nobody else is.
"""

from __future__ import annotations

STAFF_QUESTION = "ped_workers"  # the school questionnaire's declared number of pedagogical workers

FACTS: dict[str, str] = {
    "risk_zone": "школа в зоне риска в периоде кампании (да/нет)",
    "shnro": "школа — ШНРО в периоде (да/нет)",
    "shnsu": "школа — ШНСУ в периоде (да/нет)",
    "project_500": "школа — участник проекта «500+» в периоде (да/нет)",
    "pilot": "школа — пилотная площадка (метод Свердловской области) в периоде (да/нет)",
    "rural": "сельская школа (да/нет, из реестра)",
    "municipal_internship_site": "школа — муниципальная стажировочная площадка в периоде (да/нет)",
    "regional_internship_site": "школа — региональная стажировочная площадка в периоде (да/нет)",
    "ped_workers_before": "число педагогических работников, заявленное школой в прошлом периоде (пусто, если не заявлено)",
}
