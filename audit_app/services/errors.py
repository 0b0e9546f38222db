"""Errors shared by the services; each service module adds its own named ones.

A service never translates: it raises with an English message marked by `N_` (so the catalogue picks it up)
and its parameters, and the web edge translates it into the reader's language (`audit_app.i18n.error_text`).
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:  # noqa: N802  (the conventional name of the gettext no-op marker)
    """Marks an English message for the translation catalogue; it is translated where it is shown."""
    return message


class ServiceError(Exception):
    """A use case refused. `message` is an English message id (marked with `N_`) and `params` fill its
    `%(name)s` placeholders; `str(error)` is the English text, `error_text(error)` the reader's language."""

    def __init__(self, message: str = "", /, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        message = str(self.message)
        return message % self.params if self.params else message


class NotFoundError(ServiceError):
    pass


class PermissionDeniedError(ServiceError):
    pass
