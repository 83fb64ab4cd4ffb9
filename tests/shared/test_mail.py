"""Sending mail over SMTP to a real (local) server, failures told apart, and the mail settings."""

from __future__ import annotations

from dataclasses import replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from shared.config import ConfigError, SmtpServer, load_settings
from shared.mail import (
    FileMailer,
    MailServerUnavailable,
    PermanentMailError,
    SmtpMailer,
    TransientMailError,
    create_mailer,
)
from tests.roseash.test_cli import free_port
from tests.smtp_server import smtp_server


def message(to: str, subject: str = "Hello") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Rose Ash <no-reply@example.org>"
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{subject.lower()}.{to}>"
    mail.set_content("Plain text, with a line.\n")
    mail.add_alternative("<p>And <b>HTML</b>.</p>", subtype="html")
    return mail


async def test_messages_arrive_whole_over_one_connection() -> None:
    async with smtp_server() as mailbox:
        async with SmtpMailer(mailbox.server) as mailer:
            await mailer.send(message("ada@example.org", "First"))
            await mailer.send(message("grace@example.org", "Second"))
        assert mailbox.connections == 1
        [first] = mailbox.to("ada@example.org")
        assert first["Subject"] == "First"
        assert first["Message-ID"] == "<first.ada@example.org>"
        assert first.get_body(("plain",)).get_content() == "Plain text, with a line.\n"  # type: ignore[union-attr]
        assert "<b>HTML</b>" in first.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert [m["Subject"] for m in mailbox.to("grace@example.org")] == ["Second"]


async def test_a_4xx_refusal_is_transient_and_a_5xx_permanent() -> None:
    async with smtp_server() as mailbox:
        mailbox.refuse("busy@example.org", "451 4.3.0 try again later")
        mailbox.refuse("gone@example.org", "550 5.1.1 no such mailbox")
        async with SmtpMailer(mailbox.server) as mailer:
            with pytest.raises(TransientMailError, match="451") as transient:
                await mailer.send(message("busy@example.org"))
            assert not isinstance(transient.value, MailServerUnavailable)
            with pytest.raises(PermanentMailError, match=r"550 5\.1\.1 no such mailbox"):
                await mailer.send(message("gone@example.org"))
            # The connection survives refusals: the next recipient is served on it.
            await mailer.send(message("busy@example.org"))
        assert len(mailbox.to("busy@example.org")) == 1
        assert mailbox.to("gone@example.org") == []


async def test_an_unreachable_server_is_unavailable_not_a_refusal() -> None:
    closed = SmtpServer(host="127.0.0.1", port=free_port(), security="none")
    async with SmtpMailer(closed, timeout=2) as mailer:
        with pytest.raises(MailServerUnavailable):
            await mailer.send(message("ada@example.org"))


async def test_without_smtp_a_dev_machine_writes_files_and_production_keeps_mail_waiting(tmp_path: Path) -> None:
    settings = load_settings({"VAR_DIR": str(tmp_path)})
    mailer = create_mailer(settings)
    assert isinstance(mailer, FileMailer)
    async with mailer:
        await mailer.send(message("ada@example.org"))
    [written] = (tmp_path / "mail").glob("*.eml")
    parsed = BytesParser(policy=policy.default).parsebytes(written.read_bytes())
    assert parsed["To"] == "ada@example.org"
    assert create_mailer(replace(settings, environment="production")) is None
    with_smtp = load_settings({"VAR_DIR": str(tmp_path), "SMTP_URL": "smtp://127.0.0.1:2525"})
    assert isinstance(create_mailer(with_smtp), SmtpMailer)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", SmtpServer("mail.example.org", 25, "none")),
        ("smtp://127.0.0.1:1025", SmtpServer("127.0.0.1", 1025, "none")),
        (
            "smtp+starttls://u%40x.org:p%3Ass@mail.example.org",
            SmtpServer("mail.example.org", 587, "starttls", "u@x.org", "p:ss"),
        ),
        ("smtps://mail.example.org:2465", SmtpServer("mail.example.org", 2465, "tls")),
    ],
)
def test_smtp_url_spellings(url: str, expected: SmtpServer) -> None:
    assert load_settings({"SMTP_URL": url}).smtp == expected


@pytest.mark.parametrize("url", ["mail.example.org:25", "http://mail.example.org", "smtp://", "smtp://h:70000"])
def test_malformed_smtp_url_is_named(url: str) -> None:
    with pytest.raises(ConfigError, match="SMTP_URL"):
        load_settings({"SMTP_URL": url})


def test_the_smtp_password_stays_out_of_errors_and_reprs() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"SMTP_URL": "smtp://user:hunter2@mail.example.org:port"})
    assert "hunter2" not in str(caught.value)
    settings = load_settings({"SMTP_URL": "smtp://user:hunter2@mail.example.org"})
    assert "hunter2" not in repr(settings.smtp)


def test_mail_from_defaults_and_validates() -> None:
    assert load_settings({}).mail_from == "Rose Ash <no-reply@localhost>"
    assert load_settings({"MAIL_FROM": "news@example.org"}).mail_from == "news@example.org"
    assert load_settings({"MAIL_FROM": "Co-op News <news@example.org>"}).mail_from == "Co-op News <news@example.org>"
    for bad in ("news", "news@", "Co-op <news>", "a b@example.org"):
        with pytest.raises(ConfigError, match="MAIL_FROM"):
            load_settings({"MAIL_FROM": bad})
