"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, in the test's own event loop.

It keeps every message it accepts, parsed, and refuses a recipient on cue:
`mailbox.refuse("a@example.org", "451 4.3.0 try later")` answers the next
RCPT for that address with the given reply, once per reply queued. A test
that must act while a batch is being sent sets `mailbox.on_message`, awaited
with each message's recipients as it arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, cast

from aiosmtpd.smtp import SMTP, Envelope, Session

from shared.config import SmtpServer


@dataclass
class Mailbox:
    port: int
    connections: int = 0
    received: list[tuple[str, EmailMessage]] = field(default_factory=list)
    refusals: dict[str, list[str]] = field(default_factory=dict)
    on_message: Callable[[list[str]], Awaitable[None]] | None = None

    @property
    def server(self) -> SmtpServer:
        return SmtpServer(host="127.0.0.1", port=self.port, security="none")

    def refuse(self, address: str, *replies: str) -> None:
        self.refusals.setdefault(address.lower(), []).extend(replies)

    def to(self, address: str) -> list[EmailMessage]:
        return [message for recipient, message in self.received if recipient == address.lower()]

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        replies = self.refusals.get(address.lower())
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # Line ends as a mail client reading the message would see them.
        raw = cast(bytes, envelope.original_content).replace(b"\r\n", b"\n")
        message = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(raw))
        if self.on_message is not None:
            await self.on_message(list(envelope.rcpt_tos))
        for recipient in envelope.rcpt_tos:
            self.received.append((recipient.lower(), message))
        return "250 OK: queued"


@contextlib.asynccontextmanager
async def smtp_server() -> AsyncIterator[Mailbox]:
    loop = asyncio.get_running_loop()
    mailbox = Mailbox(port=0)

    def protocol() -> Any:
        mailbox.connections += 1
        return SMTP(mailbox, hostname="mail.test")

    server = await loop.create_server(protocol, "127.0.0.1", 0)
    mailbox.port = server.sockets[0].getsockname()[1]
    try:
        yield mailbox
    finally:
        server.close()
        await server.wait_closed()
