"""Signed unsubscribe links: they name one person and one kind of e-mail, and sign nobody in."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "storecheck-email-unsubscribe"


def unsubscribe_token(secret_key: str, user_id: int, kind: str) -> str:
    return URLSafeSerializer(secret_key, salt=SALT).dumps([user_id, kind])


def read_unsubscribe_token(secret_key: str, token: str) -> tuple[int, str] | None:
    """(user id, kind) a token names, or None when it was not made with this key."""
    try:
        value = URLSafeSerializer(secret_key, salt=SALT).loads(token)
    except BadSignature:
        return None
    if (not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], int)
            or isinstance(value[0], bool) or not isinstance(value[1], str)):
        return None
    return value[0], value[1]
