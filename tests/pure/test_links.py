"""Start links of both channels."""

from __future__ import annotations


def test_invite_links_of_both_channels():
    """`shnor invites --channel max|telegram`: the same invite token in either channel's start link."""
    from storage.accounts import start_link

    token = "AbC-12_xyzAbC-12_xyzAb"
    assert start_link("max", "shnor_max_bot", token) == f"https://max.ru/shnor_max_bot?start={token}"
    assert start_link("telegram", "shnor_test_bot", token) == f"https://t.me/shnor_test_bot?start={token}"
