"""Sending mail, one `EmailMessage` at a time: over SMTP, or into files on a machine without a mail server.

A failed send says whether trying again later could help: `PermanentMailError`
when the server refused this message for good (a 5xx answer to its recipient
or its content), `TransientMailError` otherwise (4xx answers, and every
failure that is about the connection or our own setup rather than the
recipient), with `MailServerUnavailable` when the server cannot be reached at
all, so a caller stops a batch instead of waiting out every timeout in turn.
"""

from __future__ import annotations

import asyncio
import logging
import re
from abc import ABC, abstractmethod
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType

import aiosmtplib

from shared.config import Settings, SmtpServer
from shared.db import utcnow

logger = logging.getLogger("roseash.mail")

# How long one SMTP step (connect, a command, the message data) may take.
SMTP_TIMEOUT_SECONDS = 30.0


class MailError(Exception):
    pass


class PermanentMailError(MailError):
    """The server refused this message for good; sending it again would be refused again."""


class TransientMailError(MailError):
    """This try failed; a later one may succeed."""


class MailServerUnavailable(TransientMailError):
    """The mail server could not be reached or dropped the connection."""


class Mailer(ABC):
    """Sends messages; use as `async with`, so a connection is reused for a batch and closed after it."""

    @abstractmethod
    async def send(self, message: EmailMessage) -> None: ...

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> Mailer:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()


class SmtpMailer(Mailer):
    def __init__(self, server: SmtpServer, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        self.server = server
        self.timeout = timeout
        self._client: aiosmtplib.SMTP | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is None or not self._client.is_connected:
            client = aiosmtplib.SMTP(
                hostname=self.server.host,
                port=self.server.port,
                username=self.server.username,
                password=self.server.password,
                use_tls=self.server.security == "tls",
                # smtp:// means plain: a relay's self-signed certificate must not fail every send.
                start_tls=self.server.security == "starttls",
                timeout=self.timeout,
            )
            await client.connect()
            self._client = client
        return self._client

    async def send(self, message: EmailMessage) -> None:
        try:
            client = await self._connected()
            await client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            # One recipient per message: its refusal is the answer about this address.
            refusal = exc.recipients[0]
            raise _by_code(refusal.code, f"recipient refused: {refusal.code} {refusal.message}") from None
        except aiosmtplib.SMTPDataError as exc:
            raise _by_code(exc.code, f"message refused: {exc.code} {exc.message}") from None
        except (OSError, TimeoutError) as exc:  # aiosmtplib's connect, disconnect and timeout errors among them
            await self.close()
            raise MailServerUnavailable(f"mail server unavailable: {exc}") from None
        except aiosmtplib.SMTPException as exc:
            # Refusals of our sender, greeting or login are about our setup, not the recipient: worth
            # retrying once it is fixed. The connection is in an unknown state; start afresh next time.
            await self.close()
            detail = f"{exc.code} {exc.message}" if isinstance(exc, aiosmtplib.SMTPResponseException) else exc.message
            raise TransientMailError(f"mail server refused: {detail}") from None

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()


class FileMailer(Mailer):
    """Writes each message to `directory` as an .eml file: mail on a dev machine, without a mail server."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{_file_safe(message['Message-ID'] or 'message')}.eml"
        path = self.directory / name
        await asyncio.to_thread(_write, path, message.as_bytes())
        logger.info("mail to %s written to %s (no SMTP_URL set)", message["To"], path)


def create_mailer(settings: Settings) -> Mailer | None:
    """The mailer the settings call for, or None: production without SMTP_URL keeps mail waiting."""
    if settings.smtp is not None:
        return SmtpMailer(settings.smtp)
    if settings.environment == "production":
        return None
    return FileMailer(settings.var_dir / "mail")


def _by_code(code: int, reason: str) -> MailError:
    return PermanentMailError(reason) if 500 <= code < 600 else TransientMailError(reason)


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
