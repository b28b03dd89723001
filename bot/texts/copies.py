"""Texts of the respondent's copy (the message itself is surveys.respondent_copy's)."""

from __future__ import annotations

BTN_COPY_DOCX = "Скачать копию (Word)"
COPY_DOCUMENT = "Копия анкеты «{title}» за {period}, отправленной {sent}: файл, который школа может хранить."
COPY_PRIVATE = "Копия анкеты — только в личном чате с ботом."
