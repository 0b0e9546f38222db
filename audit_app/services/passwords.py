"""What makes a password acceptable: long enough, and not one an attacker tries first.

Following the usual modern advice, there are no composition rules (a digit, a capital...). A password is refused
when it is short, when it is a common word or a keyboard or alphabet run dressed up with digits and symbols
("Password2026!", "qwertyuiop", "1234567890"), when it is the same few characters repeated, or when it contains
the person's name, their e-mail address or the product's name.
"""

from __future__ import annotations

import re
from typing import Any

from audit_app.services.errors import N_, Message, message
from audit_app.services.errors import as_sentence as as_sentence  # re-exported: callers import it from here

MIN_LENGTH = 10
MAX_LENGTH = 200
MIN_DISTINCT = 5

# Words found at the top of every list of leaked passwords, once the digits and symbols around them are removed.
COMMON_WORDS = frozenset("""
password passw0rd p@ssword p@ssw0rd passwort motdepasse contrasena secret letmein welcome iloveyou
admin administrator root login changeme default guest user test testing master
qwerty qwertz azerty asdfgh zxcvbn abc abcd abcde abcdef
monkey dragon football baseball basketball soccer hockey sunshine princess shadow superman batman
starwars pokemon whatever freedom trustno1 michael jennifer jordan charlie thomas daniel jessica ashley
computer internet samsung apple google facebook iphone
summer winter spring autumn january february march april june july august september october november december
monday tuesday friday sunday
hello hellothere loveyou lovely love angel flower baby cookie chocolate cheese pepper ginger
tokyo osaka japan nihon nippon sakura doraemon pikachu
company office store shop retail shopper manager
""".split())

RUNS = ("abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm", "qwertzuiopasdfghjklyxcvbnm",
        "azertyuiopqsdfghjklmwxcvbn", "1234567890", "01234567890", "1qaz2wsx3edc4rfv5tgb", "1q2w3e4r5t6y7u8i9o0p")
PRODUCT_WORDS = ("storecheck",)


def _core(password: str) -> str:
    """The password without the digits and symbols people put around a word, lower-cased."""
    return re.sub(r"^[\d\W_]+|[\d\W_]+$", "", password.lower())


def _is_run(text: str) -> bool:
    return len(text) >= 3 and any(text in run or text in run[::-1] for run in RUNS)


def _personal_words(email: str, name: str) -> set[str]:
    local = email.split("@")[0].lower()
    words = {w for w in re.split(r"[\W_]+", f"{local} {name.lower()}") if len(w) >= 4}
    if len(local) >= 4:
        words.add(local)
    return words | set(PRODUCT_WORDS)


def password_problem(password: str, *, email: str = "", name: str = "") -> Message | None:
    """Why `password` is not acceptable for the person with this e-mail and name, in plain words; None if it is.

    The answer is a lower-case phrase (a Message, translated where it is shown), so it can stand alone or join
    other problems."""
    if len(password) < MIN_LENGTH:
        return message(N_("passwords need at least %(count)s characters"), count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return message(N_("passwords can have at most %(count)s characters"), count=MAX_LENGTH)
    lowered = password.lower()
    if len(set(lowered)) < MIN_DISTINCT:
        return message(N_("that password repeats a few characters; use a phrase of several words instead"))
    core = _core(password)
    if not core or core in COMMON_WORDS or _is_run(core) or _is_run(re.sub(r"[\W_]+", "", lowered)):
        return message(N_("that password is one of the first an attacker would try; use a phrase of several words "
                          "instead"))
    if any(word in lowered for word in _personal_words(email, name)):
        return message(N_("a password must not contain your name, your e-mail address or the name of this service"))
    return None
