"""A small real SMTP server for the tests (standard library sockets): it keeps what it receives, and can be told
to refuse messages for a while (451, try later) or for good (550)."""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any


class _Handler(socketserver.StreamRequestHandler):
    server: "_Server"

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        smtp = self.server.owner
        self._reply("220 test-smtp ready")
        recipients: list[str] = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("ascii", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._reply("250-test-smtp\r\n250 8BITMIME" if verb == "EHLO" else "250 test-smtp")
            elif verb == "MAIL":
                recipients = []
                self._reply("250 OK")
            elif verb == "RCPT":
                code = smtp.refusal()
                if code:
                    self._reply(f"{code} {'try again later' if code < 500 else 'no such mailbox'}")
                else:
                    recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                    self._reply("250 OK")
            elif verb == "DATA":
                if not recipients:
                    self._reply("554 no valid recipients")
                    continue
                self._reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while True:
                    data = self.rfile.readline()
                    if data in (b".\r\n", b""):
                        break
                    lines.append(data[1:] if data.startswith(b"..") else data)
                raw = b"".join(lines)
                smtp.receive(recipients, raw)
                self._reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "SmtpServer"


class SmtpServer:
    """`with SmtpServer() as smtp:` listens on a free port of 127.0.0.1; `smtp.url` is its SMTP_URL."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.envelopes: list[list[str]] = []
        self.refuse_next = 0
        self.refuse_code = 451
        self.refuse_always = False
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"smtp://127.0.0.1:{self._server.server_address[1]}"

    def refusal(self) -> int | None:
        with self.lock:
            if self.refuse_always:
                return self.refuse_code
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return self.refuse_code
        return None

    def receive(self, recipients: list[str], raw: bytes) -> None:
        with self.arrived:
            self.raw.append(raw)
            self.envelopes.append(recipients)
            self.messages.append(message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]
            self.arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        """The messages once `count` have arrived (or what arrived when `timeout` runs out)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)

    def __enter__(self) -> "SmtpServer":
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
