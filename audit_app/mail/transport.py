"""SMTP: the SMTP_URL setting and one connection that sends a batch of messages."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from urllib.parse import unquote, urlsplit

SCHEMES = {"smtp": (25, "plain"), "smtp+starttls": (587, "starttls"), "smtps": (465, "tls")}
TIMEOUT_SECONDS = 20


class SmtpUrlError(ValueError):
    pass


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # plain | starttls | tls
    username: str | None
    password: str | None

    @property
    def display(self) -> str:
        """The server without its password, for the settings page."""
        who = f"{self.username}@" if self.username else ""
        return f"{who}{self.host}:{self.port} ({self.security})"


def parse_smtp_url(url: str) -> SmtpSettings:
    """smtp://host[:port] (plain, 25), smtp+starttls://... (587) or smtps://... (465), with optional
    user:password@ (percent-encoded); `?starttls=true` on smtp:// asks for STARTTLS too. Raises SmtpUrlError."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        raise SmtpUrlError(f"SMTP_URL must look like smtp://host:port, smtps://... or smtp+starttls://..., "
                           f"not {parts.scheme or 'nothing'}://")
    port, security = SCHEMES[scheme]
    if scheme == "smtp" and "starttls=true" in parts.query.lower():
        security = "starttls"
    try:
        port = parts.port or port
    except ValueError as error:
        raise SmtpUrlError("SMTP_URL has a port that is not a number") from error
    return SmtpSettings(parts.hostname, port, security, unquote(parts.username) if parts.username else None,
                        unquote(parts.password) if parts.password else None)


class SmtpConnection:
    """One SMTP session for a batch: `with SmtpConnection(settings) as smtp: smtp.send(message)`."""

    def __init__(self, settings: SmtpSettings, *, tls_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.tls_context = tls_context or ssl.create_default_context()
        self.client: smtplib.SMTP | None = None

    def __enter__(self) -> "SmtpConnection":
        s = self.settings
        if s.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=TIMEOUT_SECONDS,
                                                    context=self.tls_context)
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_SECONDS)
        try:
            client.ehlo()
            if s.security == "starttls":
                client.starttls(context=self.tls_context)
                client.ehlo()
            if s.username:
                client.login(s.username, s.password or "")
        except BaseException:
            client.close()
            raise
        self.client = client
        return self

    def send(self, message: EmailMessage) -> None:
        if self.client is None:
            raise smtplib.SMTPServerDisconnected("not connected")
        self.client.send_message(message)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.client is None:
            return
        try:
            self.client.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self.client.close()
            self.client = None
