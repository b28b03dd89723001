"""The end of a mailing as the coordinator reads it: each number says exactly what it counts (bot.reminder_messages)."""

from __future__ import annotations

from bot import texts
from bot.reminder_messages import progress_report


def report(counts: dict[str, int], repeated: dict[int, int], name: str = "Telegram") -> str:
    return texts.PROGRESS_DONE.format(title="Анкета педагога", sent=counts.get("sent", 0), total=sum(counts.values()),
                                      extra=progress_report(counts, repeated, name))


def test_all_confirmed_once() -> None:
    assert report({"sent": 100}, {}) == "📨 Рассылка «Анкета педагога» завершена: отправлено 100 из 100."


def test_confirmed_after_ambiguous_failures_may_have_arrived_twice_or_more() -> None:
    text = report({"sent": 100}, {1: 12, 3: 1})
    assert text == ("📨 Рассылка «Анкета педагога» завершена: отправлено 100 из 100; "
                    "могло прийти дважды: 12 — Telegram не ответил на первую попытку, вторая подтверждена; "
                    "могло прийти больше двух раз, до 4: 1 — Telegram не ответил на несколько попыток перед подтверждённой.")


def test_never_confirmed_is_never_said_to_have_arrived_twice() -> None:
    text = report({"sent": 60, "uncertain": 9, "ended": 31}, {}, "MAX")
    assert text == ("📨 Рассылка «Анкета педагога» завершена: отправлено 60 из 100; "
                    "не отправлено, кампания закончилась или ушло следующее напоминание: 31; "
                    "не подтверждено ни разу: 9 — MAX не ответил ни на одну попытку до конца кампании, "
                    "и неизвестно, дошло ли уведомление.")
    assert "дважды" not in text


def test_refusals_and_the_answered() -> None:
    text = report({"sent": 5, "unreachable": 2, "failed": 1, "skipped": 3}, {}, "мессенджер")
    assert text == ("📨 Рассылка «Анкета педагога» завершена: отправлено 5 из 11; "
                    "недоступны (заблокировали бота или удалили чат): 2; мессенджер отклонил: 1; "
                    "не понадобилось, уже ответили: 3.")
