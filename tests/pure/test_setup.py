"""The promises a fresh machine relies on: the README's commands and CI's agree."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(.+?)\n```", readme)
    assert commands[0].endswith("shnor run") and "pip install" in commands[0]
    assert "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_ci_runs_the_fast_subset_again_a_year_ahead() -> None:
    """The suite must pass at any later date: CI runs it with the whole process's clock moved on (libfaketime)."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    shift = re.search(r"faketime '\+(\d+) days' \.venv/bin/pytest -q -m \"not slow\"", ci)
    assert shift and int(shift.group(1)) >= 365


def test_env_example_lists_every_setting() -> None:
    from bot.config import Settings

    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    names = {line.split("=")[0] for line in example.splitlines() if line and not line.startswith("#")}
    assert names == {name.upper() for name in Settings.model_fields}


def _first_run_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Первый запуск для муниципалитета", 1)[1].split("\n## ", 1)[0]


def test_first_run_commands_are_commands_of_shnor() -> None:
    """Every `shnor` command of the first cycle parses: no flag the command line does not know."""
    import shlex

    from bot.cli import build_parser

    section = _first_run_section()
    blocks = re.findall(r"```bash\n(.+?)\n\s*```", section, re.DOTALL)
    commands = [line.strip() for block in blocks for line in block.splitlines() if line.strip().startswith(".venv/bin/shnor ")]
    commands += re.findall(r"`(\.venv/bin/shnor [^`]+)`", section)
    assert len(commands) >= 20
    kinds = {shlex.split(c)[1] for c in commands}
    assert {"db", "municipality", "template", "schools", "import", "identify", "invites", "campaign", "summary"} <= kinds
    for command in commands:
        args = build_parser().parse_args(shlex.split(command)[1:])
        assert callable(args.func), command


def test_the_systemd_unit_runs_the_bot_where_its_env_is() -> None:
    unit = dict(
        line.split("=", 1) for line in (ROOT / "deploy" / "shnor.service").read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    )
    folder = unit["WorkingDirectory"]
    assert unit["ExecStart"] == f"{folder}/.venv/bin/shnor run"
    assert unit["Restart"] == "on-failure" and int(unit["RestartSec"]) > 0 and unit["User"] == "shnor"
    assert unit["NoNewPrivileges"] == "yes" and unit["ProtectSystem"] == "strict" and unit["PrivateTmp"] == "yes"
    assert unit["ReadWritePaths"].lstrip("-") == f"{folder}/data"  # where the default database lies (bot.config)
    section = _first_run_section()
    for step in ("deploy/shnor.service", "systemctl daemon-reload", "systemctl enable --now shnor", "journalctl -u shnor -f"):
        assert step in section
