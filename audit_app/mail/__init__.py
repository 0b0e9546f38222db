"""Sending the outbox: SMTP, rendering each message in its recipient's language, retries, and the after-commit
kick that gets a message on its way (an RQ job with REDIS_URL, else a sender thread in this process).

`services.notifications` decides what is written to the outbox inside the services' transactions; this package
needs the app (templates, translations, url_for), so it lives outside the services, like audit_app/worker.py."""

from audit_app.mail.dispatch import init_mail, kick, stop_sender
from audit_app.mail.sender import SendSummary, send_due
from audit_app.mail.transport import SmtpSettings, parse_smtp_url

__all__ = ["SendSummary", "SmtpSettings", "init_mail", "kick", "parse_smtp_url", "send_due", "stop_sender"]
