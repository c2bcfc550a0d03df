"""Email: letters from an IMAP mailbox become messages; answers go back through SMTP as replies.

Source settings::

    {"imap_host": "imap.example.ru", "imap_port": 993, "imap_ssl": true,
     "username": "cur@example.ru", "password_env": "OTKLIK_MAIL_PASSWORD",
     "mailbox": "INBOX", "unseen_only": false, "batch_size": 100,
     "smtp_host": "smtp.example.ru", "smtp_port": 587, "smtp_starttls": true, "smtp_ssl": false,
     "smtp_username": "", "smtp_password_env": "", "from_address": "cur@example.ru",
     "timeout_seconds": 20}

**Cursor** ``<UIDVALIDITY>:<last UID>``: ``UID SEARCH UID <last+1>:*`` (plus ``UNSEEN`` with
``unseen_only``) finds what is new; ``UID FETCH … BODY.PEEK[]`` reads it without marking it seen.
When the server's UIDVALIDITY changes (the mailbox was rebuilt) the whole mailbox is read again —
the external id is the letter's ``Message-ID``, so what was already taken is a duplicate, a no-op.

**Parsing** (``email`` with the default policy): RFC 2047 subjects and names, the text/plain part
(or text/html turned into text), attachments recorded by file name. The subject and the body make
the message's text. Auto-replies (``Auto-Submitted``, ``Precedence: bulk``) and our own letters are
skipped; a letter without a sender address or without any text is a dead letter.

**Replies**: ``Re: <subject>`` to the sender with ``In-Reply-To`` and ``References``, so the answer
lands in the resident's thread. Credentials come from the environment (``*_env`` settings).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import imaplib
import re
import smtplib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext as _

from otklik.directory.choices import Channel

from .base import (
    Connector,
    ConnectorError,
    FetchResult,
    Health,
    NormalizeError,
    ReplyResult,
    SkipPayload,
    register,
)

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case
    from otklik.intake.models import Message

DEFAULT_BATCH = 100
MAX_EXTERNAL_ID = 200
_UID_RE = re.compile(rb"UID (\d+)")
_INTERNALDATE_RE = re.compile(rb'INTERNALDATE "([^"]+)"')
_NETWORK_ERRORS = (OSError, socket.timeout, imaplib.IMAP4.abort, EOFError)


def parse_cursor(cursor: str) -> tuple[int, int]:
    """``"<uidvalidity>:<uid>"`` → (uidvalidity, uid); an empty or unreadable cursor is (0, 0)."""
    validity, sep, uid = (cursor or "").partition(":")
    if not sep or not validity.isdigit() or not uid.isdigit():
        return 0, 0
    return int(validity), int(uid)


class _TextOfHTML(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextOfHTML()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.parts))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _external_id(message_id: str, fallback: str) -> str:
    value = message_id.strip().strip("<>").strip()
    if not value:
        return fallback
    if len(value) > MAX_EXTERNAL_ID:
        return "sha1-" + hashlib.sha1(value.encode("utf-8")).hexdigest()
    return value


def parse_letter(data: bytes) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(parsed, EmailMessage)
    return parsed


@register
class EmailConnector(Connector):
    kind: ClassVar[str] = "email"
    label: ClassVar[str] = "Email (IMAP/SMTP)"

    # --- IMAP ---------------------------------------------------------------------------------------
    @contextmanager
    def _imap(self) -> Iterator[imaplib.IMAP4]:
        host = str(self.setting("imap_host", ""))
        if not host:
            raise ConnectorError("email: “imap_host” is not configured", retriable=False)
        use_ssl = bool(self.setting("imap_ssl", True))
        port = int(self.setting("imap_port", 993 if use_ssl else 143))
        timeout = float(self.setting("timeout_seconds", self.DEFAULT_TIMEOUT))
        try:
            imap: imaplib.IMAP4 = (
                imaplib.IMAP4_SSL(host, port, timeout=timeout)
                if use_ssl
                else imaplib.IMAP4(host, port, timeout=timeout)
            )
        except _NETWORK_ERRORS as exc:
            raise ConnectorError(f"email: cannot reach the IMAP server: {type(exc).__name__}: {exc}") from exc
        except imaplib.IMAP4.error as exc:
            raise ConnectorError(f"email: the IMAP server refused: {exc}") from exc
        try:
            try:
                imap.login(str(self.setting("username", "")), self.secret("password"))
            except imaplib.IMAP4.abort:
                raise
            except imaplib.IMAP4.error as exc:
                raise ConnectorError(f"email: IMAP login refused: {exc}", retriable=False) from exc
            yield imap
        except _NETWORK_ERRORS as exc:
            raise ConnectorError(f"email: IMAP connection lost: {type(exc).__name__}: {exc}") from exc
        finally:
            try:
                imap.logout()
            except (*_NETWORK_ERRORS, imaplib.IMAP4.error):
                pass

    def _select(self, imap: imaplib.IMAP4) -> tuple[int, int]:
        mailbox = str(self.setting("mailbox", "INBOX"))
        status, data = imap.select(mailbox, readonly=True)
        if status != "OK":
            raise ConnectorError(f"email: cannot open mailbox {mailbox!r}: {data!r}", retriable=False)
        exists = int((data[0] or b"0").decode())
        _, validity = imap.response("UIDVALIDITY")
        if not validity or validity[0] is None:
            raise ConnectorError("email: the server gave no UIDVALIDITY", retriable=False)
        return int(validity[0]), exists

    def fetch(self, cursor: str) -> FetchResult:
        limit = max(1, int(self.setting("batch_size", DEFAULT_BATCH)))
        with self._imap() as imap:
            validity, _exists = self._select(imap)
            known_validity, last_uid = parse_cursor(cursor)
            notes = []
            if known_validity and known_validity != validity:
                notes.append(f"UIDVALIDITY changed {known_validity} → {validity}: the mailbox is read again")
            if known_validity != validity:
                last_uid = 0
            criteria = ["UID", f"{last_uid + 1}:*"]
            if self.setting("unseen_only", False):
                criteria.append("UNSEEN")
            status, data = imap.uid("SEARCH", *criteria)
            if status != "OK":
                raise ConnectorError(f"email: UID SEARCH failed: {data!r}")
            # "n:*" always includes the largest UID, even below n: keep only what is really new.
            uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > last_uid)
            chosen = uids[:limit]
            payloads = self._fetch_letters(imap, chosen, validity) if chosen else []
        next_uid = chosen[-1] if chosen else last_uid
        return FetchResult(
            payloads=payloads, cursor=f"{validity}:{next_uid}", has_more=len(uids) > limit, notes=notes
        )

    def _fetch_letters(self, imap: imaplib.IMAP4, uids: list[int], validity: int) -> list[dict[str, Any]]:
        status, data = imap.uid("FETCH", ",".join(map(str, uids)), "(UID INTERNALDATE BODY.PEEK[])")
        if status != "OK":
            raise ConnectorError(f"email: UID FETCH failed: {data!r}")
        payloads = []
        for part in data:
            if not isinstance(part, tuple):
                continue  # the closing ")" of a literal
            head, body = part[0], part[1]
            uid_match = _UID_RE.search(head)
            if uid_match is None:
                continue
            date_match = _INTERNALDATE_RE.search(head)
            payloads.append(
                {
                    "uid": int(uid_match.group(1)),
                    "uidvalidity": validity,
                    "internaldate": date_match.group(1).decode("ascii", "replace") if date_match else "",
                    "rfc822": base64.b64encode(body).decode("ascii"),
                }
            )
        payloads.sort(key=lambda p: p["uid"])
        return payloads

    # --- normalize ------------------------------------------------------------------------------------
    def payload_id(self, payload: Any) -> str:
        if not isinstance(payload, dict) or "uid" not in payload:
            return ""
        return f"uid-{payload.get('uidvalidity', 0)}-{payload['uid']}"

    def normalize(self, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            data = base64.b64decode(str(payload["rfc822"]), validate=True)
        except (KeyError, binascii.Error, ValueError) as exc:
            raise NormalizeError(f"the payload holds no letter ({type(exc).__name__})") from exc
        try:
            letter = parse_letter(data)
            return self._item(letter, payload)
        except (NormalizeError, SkipPayload):
            raise
        except (LookupError, ValueError, TypeError, UnicodeError, AttributeError) as exc:
            raise NormalizeError(f"cannot parse the letter: {type(exc).__name__}: {exc}") from exc

    def _item(self, letter: EmailMessage, payload: dict[str, Any]) -> dict[str, Any]:
        auto = str(letter.get("Auto-Submitted", "no")).strip().lower()
        precedence = str(letter.get("Precedence", "")).strip().lower()
        if auto not in ("", "no") or precedence in ("bulk", "junk", "list"):
            raise SkipPayload("an automatic letter (auto-reply or bulk)")
        senders = [(name, addr) for name, addr in getaddresses([str(letter.get("From", ""))]) if "@" in addr]
        if not senders:
            raise NormalizeError(f"no sender address in From: {str(letter.get('From', ''))[:100]!r}")
        name, address = senders[0]
        own = str(self.setting("from_address", "")).strip().lower()
        if own and address.lower() == own:
            raise SkipPayload("our own letter")
        subject = " ".join(str(letter.get("Subject", "")).split())
        body = self._body(letter)
        text = body if not subject or subject in body else f"{subject}\n\n{body}".strip()
        if not text.strip():
            raise NormalizeError("the letter has neither a subject nor a text")
        message_id = str(letter.get("Message-ID", "")).strip()
        uid = payload.get("uid")
        external_id = _external_id(message_id, f"uid-{payload.get('uidvalidity', 0)}-{uid}")
        references = str(letter.get("References", "")).split()
        attachments = [part.get_filename() or "(unnamed)" for part in letter.iter_attachments()]
        return {
            "external_id": external_id,
            "channel": Channel.EMAIL,
            "text": text,
            "posted_at": self._posted_at(letter, str(payload.get("internaldate", ""))),
            "author_name": name.strip(),
            "author_id": address.lower(),
            "author_contact": address,
            "attachments": attachments,
            "email": {
                "message_id": message_id,
                "subject": subject,
                "references": references,
                "in_reply_to": str(letter.get("In-Reply-To", "")).strip(),
                "uid": uid,
            },
        }

    @staticmethod
    def _body(letter: EmailMessage) -> str:
        """The text/plain part, or the text/html one when there is no (or an empty) plain text."""
        for kind in ("plain", "html"):
            part = letter.get_body(preferencelist=(kind,))
            if part is None:
                continue
            content = part.get_content()
            if isinstance(content, bytes):
                content = content.decode("utf-8", "replace")
            text = html_to_text(content) if kind == "html" else str(content).strip()
            text = "\n".join(line.rstrip() for line in text.splitlines()).strip()
            if text:
                return text
        return ""

    @staticmethod
    def _posted_at(letter: EmailMessage, internaldate: str) -> str:
        header = letter.get("Date")
        moment: datetime | None = getattr(header, "datetime", None) if header is not None else None
        if moment is None and internaldate:
            try:
                moment = datetime.strptime(internaldate, "%d-%b-%Y %H:%M:%S %z")
            except ValueError:
                moment = None
        if moment is None:
            raise NormalizeError("the letter has no readable date")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.isoformat()

    # --- replies ----------------------------------------------------------------------------------------
    def build_reply(self, case: Case, answer: Answer, message: Message) -> EmailMessage:
        raw = message.raw if isinstance(message.raw, dict) else {}
        kept = raw.get("email")
        meta: dict[str, Any] = kept if isinstance(kept, dict) else {}
        sender = str(self.setting("from_address", "")) or str(self.setting("username", ""))
        reply = EmailMessage()
        reply["From"] = sender
        _display, address = parseaddr(message.author_contact)
        reply["To"] = (
            Address(display_name=message.author_name, addr_spec=address) if message.author_name else address
        )
        subject = str(meta.get("subject") or case.title or _("Your appeal"))
        reply["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
        original = str(meta.get("message_id") or "").strip()
        if original:
            reply["In-Reply-To"] = original
            reply["References"] = " ".join([*meta.get("references", []), original])
        reply["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
        reply["Date"] = format_datetime(datetime.now(UTC))
        reply["Auto-Submitted"] = "auto-replied"  # keeps a resident's auto-responder from answering back
        footer = _("Case number: %(number)s") % {"number": case.number}
        reply.set_content(f"{answer.text}\n\n--\n{footer}\n")
        return reply

    def publish_reply(self, case: Case, answer: Answer, message: Message) -> ReplyResult:
        _name, address = parseaddr(message.author_contact or "")
        if "@" not in address:
            return ReplyResult(sent=False, detail="the message has no email address to answer")
        host = str(self.setting("smtp_host", ""))
        if not host:
            raise ConnectorError("email: “smtp_host” is not configured", retriable=False)
        reply = self.build_reply(case, answer, message)
        use_ssl = bool(self.setting("smtp_ssl", False))
        port = int(self.setting("smtp_port", 465 if use_ssl else 587))
        timeout = float(self.setting("timeout_seconds", self.DEFAULT_TIMEOUT))
        user = str(self.setting("smtp_username", "") or self.setting("username", ""))
        password = self.secret("smtp_password") or self.secret("password")
        try:
            smtp_class = smtplib.SMTP_SSL if use_ssl else smtplib.SMTP
            with smtp_class(host, port, timeout=timeout) as smtp:
                if self.setting("smtp_starttls", False) and not use_ssl:
                    smtp.starttls()
                if password:
                    smtp.login(user, password)
                smtp.send_message(reply)
        except smtplib.SMTPRecipientsRefused as exc:
            return ReplyResult(sent=False, detail=f"the recipient was refused: {exc.recipients}")
        except smtplib.SMTPAuthenticationError as exc:
            raise ConnectorError(f"email: SMTP login refused: {exc.smtp_code}", retriable=False) from exc
        except smtplib.SMTPResponseException as exc:
            raise ConnectorError(
                f"email: SMTP {exc.smtp_code} {exc.smtp_error!r}", retriable=exc.smtp_code < 500
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ConnectorError(f"email: SMTP failed: {type(exc).__name__}: {exc}") from exc
        return ReplyResult(sent=True, external_id=str(reply["Message-ID"]).strip("<>"))

    # --- health -------------------------------------------------------------------------------------------
    def health(self) -> Health:
        try:
            with self._imap() as imap:
                validity, exists = self._select(imap)
        except ConnectorError as exc:
            return Health(ok=False, detail=str(exc))
        mailbox = str(self.setting("mailbox", "INBOX"))
        return Health(
            ok=True,
            detail=f"{mailbox}: {exists} letters",
            checked={"mailbox": mailbox, "exists": exists, "uidvalidity": validity},
        )
