"""Reading what a person types where buttons are offered: «да», «нет», an option's number or its words.

For people on a poor connection who type their answers ahead instead of waiting for the buttons. Case and
«ё» do not matter; an option is read from its number (as on its button), its whole label, a unique beginning
of the label (three letters or more), or words that each begin a word of exactly one label. What cannot be
read raises AnswerError with one Russian line; the caller shows the question again under it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from surveys.errors import AnswerError

YES_WORDS = frozenset({"да", "д", "yes", "+"})
NO_WORDS = frozenset({"нет", "н", "no", "-"})
NONE_WORDS = frozenset({"нет", "ничего", "никакие", "ни одного", "ни один", "ни в какие", "ни в каких"})
ALL_WORDS = frozenset({"все", "всё", "все перечисленные", "всё перечисленное"})
MIN_PREFIX = 3  # letters of a label's beginning that may stand for it
QUOTED = 40  # characters of the typed text quoted back

_EDGES = " \t\n.,;:!?«»\"'()[]"
_WORD = re.compile(r"[0-9a-zа-я]+")
_NUMBERS = re.compile(r"^\d+(?:[\s,;]+\d+)*$")


def normal(text: str) -> str:
    """Lower case, «ё» as «е», inner spaces collapsed, punctuation and quotes at the ends dropped."""
    return " ".join(text.lower().replace("ё", "е").split()).strip(_EDGES)


def quoted(text: str) -> str:
    shown = " ".join(text.split())
    return f"«{shown if len(shown) <= QUOTED else shown[:QUOTED - 1] + '…'}»"


def yes_no(text: str, no_label: str | None = None) -> bool | None:
    """True for «да», False for «нет» (or the question's own words for it), None for anything else."""
    low = normal(text)
    if low in YES_WORDS:
        return True
    if low in NO_WORDS or (no_label and len(low) >= MIN_PREFIX and normal(no_label).startswith(low)):
        return False
    return None


def leading_yes(text: str) -> str | None:
    """What follows a leading «да» («да, без выступлений» → «без выступлений»); None when it does not start so."""
    low = normal(text)
    for word in YES_WORDS:
        if word.isalpha() and low.startswith(word) and len(low) > len(word) and not low[len(word)].isalpha():
            rest = low[len(word):].strip(_EDGES + " -—:")
            return rest or None
    return None


def _words(text: str) -> list[str]:
    return _WORD.findall(normal(text))


def pick(labels: Sequence[str], text: str) -> int:
    """The index of the one option typed (see the module); AnswerError otherwise."""
    low = normal(text)
    count = len(labels)
    if not low:
        raise AnswerError(f"Пустой ответ: напишите номер варианта (от 1 до {count}) или нажмите кнопку.")
    if re.fullmatch(r"[0-9]+", low):  # ASCII digits only: str.isdigit() takes «²», which int() refuses
        number = int(low) if len(low) <= 3 else 0
        if not 1 <= number <= count:
            raise AnswerError(f"Варианта с номером {low[:6]} нет: номера от 1 до {count}.")
        return number - 1
    names = [normal(label) for label in labels]
    found = [n for n, name in enumerate(names) if name == low]
    if not found and len(low) >= MIN_PREFIX:
        found = [n for n, name in enumerate(names) if name.startswith(low)]
    if not found:
        typed = _words(low)
        if typed and sum(len(w) for w in typed) >= MIN_PREFIX:
            found = [n for n, label in enumerate(labels)
                     if all(any(word.startswith(t) for word in _words(label)) for t in typed)]
    if len(found) == 1:
        return found[0]
    if found:
        options = ", ".join(f"{n + 1} — «{labels[n]}»" for n in found[:4])
        raise AnswerError(f"{quoted(text)} подходит к нескольким вариантам ({options}): напишите номер варианта.")
    raise AnswerError(f"Не понял ответ {quoted(text)}: напишите номер варианта (от 1 до {count}) или нажмите кнопку.")


def picks(labels: Sequence[str], text: str) -> list[int]:
    """The indexes of the options typed, in the labels' order: numbers separated by spaces or commas («1 3»,
    «1, 3»), or options by their words separated by «;», new lines or commas (a label's own commas are read
    as part of it when the whole text is that one label)."""
    low = normal(text)
    count = len(labels)
    if _NUMBERS.match(low):
        numbers = [int(n) if len(n) <= 3 else 0 for n in re.findall(r"\d+", low)]
        wrong = [n for n in numbers if not 1 <= n <= count]
        if wrong:
            raise AnswerError(f"Варианта с номером {wrong[0]} нет: номера от 1 до {count}.")
        return sorted({n - 1 for n in numbers})
    try:
        return [pick(labels, text)]
    except AnswerError:
        pieces = [p for p in re.split(r"[;\n]+", text) if normal(p)]
        if len(pieces) == 1:
            pieces = [p for p in text.split(",") if normal(p)]
        if len(pieces) < 2:
            raise
    return sorted({pick(labels, piece) for piece in pieces})
