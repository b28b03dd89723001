"""The packs as a person reads them."""

from __future__ import annotations


def test_time_bound_questions_name_their_time_frame():
    """A teacher must not answer «да» for an internship of five years ago."""
    from surveys.loader import load_pack

    teacher = load_pack("teacher")
    for name in ("diagnostics", "support_received", "quality_events", "internship_elsewhere", "internship_municipal", "courses"):
        assert "в этом учебном году" in teacher.question(name).label.lower(), name
    school = load_pack("school")
    for name in ("methodical_landing", "practices_events"):
        assert "в этом учебном году" in school.question(name).label.lower(), name
