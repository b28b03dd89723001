"""facts of a period: internship sites per school and period, the Sverdlovsk pilot flag, periods as school years

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:00:00

"""
import datetime as dt
import json
import re
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# The periods' rule as it stood when this migration was written (surveys.periods then): a migration keeps
# its own copy, so that what it does to old data never changes with the code.
_PERIOD_RE = re.compile(
    r"^(?P<start>\d{4})\s*[-–—/\\.]\s*(?P<end>\d{4}|\d{2})"
    r"(?:\s*(?:(?:уч(?:ебный|\.)?)\s*(?:г(?:од|\.)?)?|г(?:од|\.)?))?\.?$",
    re.IGNORECASE,
)


def _normalize(period: str) -> str | None:
    match = _PERIOD_RE.match(" ".join(str(period or "").split()))
    if not match:
        return None
    start, end_text = int(match["start"]), match["end"]
    end = int(end_text) if len(end_text) == 4 else start - start % 100 + int(end_text)
    if len(end_text) == 2 and end < start:
        end += 100
    return f"{start}-{end}" if end == start + 1 and 2000 <= start <= 2100 else None


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "school_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("municipal_internship_site", sa.Boolean(), nullable=False),
        sa.Column("regional_internship_site", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_school_period_school_id_school"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_period")),
        sa.UniqueConstraint("school_id", "period", name=op.f("uq_school_period_school_id")),
    )
    with op.batch_alter_table("school_period", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_period_school_id"), ["school_id"], unique=False)

    # Periods typed as «2026/27 уч. год» become «2026-2027» where that clashes with nothing.
    for table, unique in (("campaign", None), ("school_status", "school_id"), ("regional_group", "school_id")):
        rows = bind.execute(sa.text(f"SELECT id, period{', ' + unique if unique else ''} FROM {table}")).all()
        taken = {(r[2], r[1]) for r in rows} if unique else set()
        for row in rows:
            normal = _normalize(row[1])
            if normal is None or normal == row[1] or (unique and (row[2], normal) in taken):
                continue
            bind.execute(sa.text(f"UPDATE {table} SET period = :p WHERE id = :id"), {"p": normal, "id": row[0]})
            if unique:
                taken.add((row[2], normal))

    # The registry flags were the school's; they become the facts of every period on record (and of
    # the current school year), so that no summary changes.
    now = dt.datetime.now(dt.UTC)
    current = f"{now.year if now.month >= 9 else now.year - 1}-{(now.year if now.month >= 9 else now.year - 1) + 1}"
    schools = bind.execute(sa.text(
        "SELECT id, municipality_id, municipal_internship_site, regional_internship_site FROM school"
    )).all()
    periods: dict[int, set[str]] = {}
    for municipality_id, period in bind.execute(sa.text("SELECT municipality_id, period FROM campaign")).all():
        periods.setdefault(municipality_id, set()).add(period)
    for municipality_id, period in bind.execute(sa.text(
        "SELECT school.municipality_id, school_status.period FROM school_status JOIN school ON school.id = school_status.school_id"
    )).all():
        periods.setdefault(municipality_id, set()).add(period)
    for school_id, municipality_id, municipal, regional in schools:
        if not (municipal or regional):
            continue
        for period in periods.get(municipality_id, set()) | {current}:
            bind.execute(
                sa.text("INSERT INTO school_period (school_id, period, municipal_internship_site, regional_internship_site) "
                        "VALUES (:s, :p, :m, :r)"),
                {"s": school_id, "p": period, "m": bool(municipal), "r": bool(regional)},
            )
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("municipal_internship_site")
        batch_op.drop_column("regional_internship_site")

    with op.batch_alter_table("school_status", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pilot", sa.Boolean(), nullable=False, server_default=sa.false()))
    # The pilot was written over the support group; it is a flag beside the group now.
    rows = bind.execute(sa.text("SELECT id, details FROM school_status WHERE method = 'sverdlovsk'")).all()
    for status_id, details in rows:
        details = json.loads(details) if isinstance(details, str) else (details or {})
        if not details.get("pilot"):
            continue
        low = int(details.get("quality_group", 99)) <= 5
        unfavourable = int(details.get("isbsh_group", 99)) <= 4
        group = {(False, True): "resilient", (True, False): "mentoring", (True, True): "accompaniment"}.get((low, unfavourable))
        bind.execute(sa.text("UPDATE school_status SET pilot = :t, support_group = :g WHERE id = :id"),
                     {"t": True, "g": group, "id": status_id})


def downgrade() -> None:
    with op.batch_alter_table("school_status", schema=None) as batch_op:
        batch_op.drop_column("pilot")
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(sa.Column("municipal_internship_site", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("regional_internship_site", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.drop_table("school_period")
