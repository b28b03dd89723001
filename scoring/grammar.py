"""Names put in the case a sentence needs: the body's name in the genitive («заседания рабочей группы
Управления образования …»), the municipality's in the prepositional («в Сысертском городском округе»).

Only the name's head is inflected: the adjectives before its first noun and that noun («Каменск-Уральский
городской округ» → «Каменск-Уральском городском округе»; «Управление образования Администрации …» →
«Управления образования Администрации …»; «город Каменск-Уральский» → «городе Каменск-Уральский»). A name
the dictionary (pymorphy3) cannot read that way is returned as None and the caller writes it as it is.
"""

from __future__ import annotations

import functools
import re

VOWELS = set("аеёиоуыэюяАЕЁИОУЫЭЮЯ")


@functools.cache
def _morph():
    import pymorphy3  # its dictionaries load once, when a document is first made

    return pymorphy3.MorphAnalyzer()


def _restore_case(original: str, inflected: str) -> str:
    """The inflected word with the original's capitals, part by part («Каменск-Уральский»)."""
    parts = inflected.split("-")
    for n, part in enumerate(original.split("-")[: len(parts)]):
        if part[:1].isupper():
            parts[n] = part[:1] + parts[n][1:] if part.isupper() and len(part) > 1 else parts[n][:1].upper() + parts[n][1:]
    return "-".join(parts)


def inflect(name: str, case: str) -> str | None:
    """`name` with its head in `case` (pymorphy's 'gent', 'loct', ...), or None when it cannot be read."""
    words = name.split()
    if not words:
        return None
    morph = _morph()
    adjectives: list[int] = []
    for index, word in enumerate(words):
        clean = word.rstrip(",")
        if not re.fullmatch(r"[А-Яа-яЁё]+(-[А-Яа-яЁё]+)*", clean) or (clean.isupper() and len(clean) > 1):
            return None  # a quote, an abbreviation, a number before the head noun: written as it is
        parses = morph.parse(clean)
        noun = next((p for p in parses if {"NOUN", "nomn"} <= p.tag.grammemes and "Abbr" not in p.tag.grammemes), None)
        adjective = any({"ADJF", "nomn"} <= p.tag.grammemes for p in parses)
        last = index == len(words) - 1 or not words[index + 1][:1].isalpha()
        if noun is not None and (not adjective or last):
            return _agree(words, adjectives, index, noun, case)
        if not adjective:
            return None
        adjectives.append(index)
    return None


def _agree(words: list[str], adjectives: list[int], index: int, noun, case: str) -> str | None:
    """The noun at `index` and the adjectives before it in `case`, agreeing in gender and number."""
    morph = _morph()
    number = noun.tag.number or "sing"
    out = list(words)
    for i in [*adjectives, index]:
        word = words[i].rstrip(",")
        if i == index:
            form = noun.inflect({case})
        else:
            parsed = next((p for p in morph.parse(word) if {"ADJF", "nomn"} <= p.tag.grammemes
                           and p.tag.number == number and (number == "plur" or p.tag.gender == noun.tag.gender)), None)
            form = parsed.inflect({case, number}) if parsed is not None else None
        if form is None:
            return None
        out[i] = _restore_case(word, form.word) + ("," if words[i].endswith(",") else "")
    return " ".join(out)


def genitive(name: str) -> str | None:
    return inflect(name, "gent")


def in_place(name: str) -> str | None:
    """«в Сысертском городском округе», «во Всеволожском районе»; None when the name cannot be inflected."""
    inflected = inflect(name, "loct")
    if inflected is None:
        return None
    first = inflected[:2]
    preposition = "во" if first[:1].lower() in "вф" and len(first) > 1 and first[1] not in VOWELS else "в"
    return f"{preposition} {inflected}"
