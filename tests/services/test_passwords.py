"""The password policy: length, the passwords attackers try first, and words of the person's own."""

from __future__ import annotations

import pytest

from audit_app.services.passwords import as_sentence, password_problem


@pytest.mark.parametrize("password", [
    "a quiet walk by the river", "correct horse battery", "tsukiji at 5am, tuna", "Hn7#qL2!vR9x", "月曜日の朝はコーヒー二杯",
])
def test_long_uncommon_passwords_are_accepted(password: str) -> None:
    assert password_problem(password, email="aiko.tanaka@example.com", name="Aiko Tanaka") is None


@pytest.mark.parametrize("password,why", [
    ("short1!", "at least 10 characters"),
    ("x" * 201, "at most 200 characters"),
    ("aaaaaaaaaaaa", "repeats a few characters"),
    ("abababababab", "repeats a few characters"),
    ("Password2026!", "first an attacker would try"),
    ("p@ssw0rd12345", "first an attacker would try"),
    ("1234567890", "first an attacker would try"),
    ("0987654321!!", "first an attacker would try"),
    ("qwertyuiop", "first an attacker would try"),
    ("1q2w3e4r5t", "first an attacker would try"),
    ("Summer2026!!", "first an attacker would try"),
    ("iloveyou123", "first an attacker would try"),
    ("abcdefghijk", "first an attacker would try"),
    ("!!Welcome!!2026", "first an attacker would try"),
    ("tanaka-is-my-name", "must not contain your name"),
    ("aiko.tanaka rocks", "must not contain your name"),
    ("my storecheck password", "must not contain your name"),
])
def test_weak_passwords_are_refused_with_the_reason(password: str, why: str) -> None:
    problem = password_problem(password, email="aiko.tanaka@example.com", name="Aiko Tanaka")
    assert problem is not None and why in str(problem)


def test_a_problem_reads_as_a_sentence() -> None:
    assert as_sentence(password_problem("short")) == "Passwords need at least 10 characters."
