"""Features and texts write the product's own markup (surveys.screens.Rich) or plain text, never a channel's: each
channel's renderer escapes a plain str and renders rich text (Telegram's and MAX's HTML here)."""

from __future__ import annotations

import re
from pathlib import Path

from bot import texts
from bot.render import html_of
from surveys.screens import bold, italic, join, lines

ROOT = Path(__file__).resolve().parents[2]
PLACES = ("bot/features", "bot/texts", "bot/pipeline.py")
CHANNEL_MARKUP = re.compile(r"\bescape\(|from html import|</?(b|i|u|s|code|pre|a)\b[^>]*>")


def test_plain_text_is_escaped_and_rich_text_rendered() -> None:
    assert html_of("Школа <№1> & «Лицей»") == "Школа &lt;№1&gt; &amp; «Лицей»"
    assert html_of(bold("A&B") + ": " + italic("<i>")) == "<b>A&amp;B</b>: <i>&lt;i&gt;</i>"
    assert html_of(lines(bold("x"), "", "y")) == "<b>x</b>\n\ny"
    assert html_of(join(["a", bold("b")], ", ")) == "a, <b>b</b>"


def test_texts_with_markup_say_what_they_said() -> None:
    assert html_of(texts.missing_header("Школа №1")) == "<b>Школа №1</b>: кто из педагогов не ответил"
    assert html_of(texts.return_confirm(what="анкету", comment="a<b", recipients="Иванова")) == (
        "Вернуть на доработку анкету с комментарием:\n<i>a&lt;b</i>\nУведомление получат: Иванова.")
    assert texts.consent_intro("педагог", ", Школа").plain_text.startswith("Здравствуйте! Вы регистрируетесь как педагог, Школа.\n\n")


def test_no_channel_markup_in_features_and_texts() -> None:
    found = []
    for place in PLACES:
        path = ROOT / place
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
                if CHANNEL_MARKUP.search(line):
                    found.append(f"{file.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == [], "a channel's markup (HTML, escape) in features or texts: use surveys.screens.Rich\n" + "\n".join(found)
