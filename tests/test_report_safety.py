"""What people type never becomes markup or mathematics in what the product draws."""

from __future__ import annotations

from scoring import charts
from scoring.service import build_summary
from storage.models import Municipality, School


async def test_dollar_signs_in_names_are_dollars_in_the_chart(session_factory, world, clock):
    async with session_factory() as session:
        school = await session.get(School, world.schools[0].id)
        school.short_name = r"СОШ $\frac{1$ и $x_$"  # not valid mathematics: matplotlib would raise on it
        municipality = await session.get(Municipality, world.municipality.id)
        municipality.name = "Округ $5$"
        await session.commit()
        summary = await build_summary(session, municipality, now=clock.now)
    photos = [png for _, album in charts.images(summary) for _, png in album]
    assert photos and all(png[:8] == b"\x89PNG\r\n\x1a\n" for png in photos)
