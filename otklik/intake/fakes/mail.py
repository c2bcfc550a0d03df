"""Local fake mail servers: a minimal IMAP4rev1 mailbox and an SMTP sink on 127.0.0.1.

They speak just enough of RFC 3501 and RFC 5321 for the standard library's ``imaplib`` and
``smtplib`` — the clients the email connector uses against real servers:

* IMAP: ``CAPABILITY``, ``LOGIN``, ``SELECT``/``EXAMINE`` (``EXISTS``, ``UIDVALIDITY``, ``UIDNEXT``),
  ``UID SEARCH`` (``ALL``, ``UNSEEN``, ``SEEN``, ``UID <set>``), ``UID FETCH`` (``UID``, ``FLAGS``,
  ``INTERNALDATE``, ``RFC822.SIZE``, ``BODY[]``, ``BODY.PEEK[]``, ``RFC822``), ``NOOP``, ``LOGOUT``;
  wrong credentials get ``NO [AUTHENTICATIONFAILED]``, an unknown command ``BAD``;
* SMTP: ``EHLO``/``HELO``, ``AUTH PLAIN``, ``MAIL FROM``, ``RCPT TO``, ``DATA`` (dot-unstuffed),
  ``RSET``, ``NOOP``, ``QUIT``; delivered mail is kept in :attr:`FakeSMTPServer.messages`.

Each listens on an ephemeral port in a daemon thread; use them as context managers. ``down = True``
makes a server drop every new connection (a mail server that is away).
"""

from __future__ import annotations

import base64
import re
import socketserver
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

CRLF = b"\r\n"


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _FakeBase:
    handler_class: type[socketserver.StreamRequestHandler]

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.down = False
        self.lock = threading.Lock()
        fake = self

        class Handler(self.handler_class):  # type: ignore[name-defined,misc]
            server_fake = fake

        self._server = _Server((host, port), Handler)
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> _FakeBase:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=type(self).__name__,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- IMAP ---------------------------------------------------------------------------------------------


@dataclass
class StoredMail:
    uid: int
    data: bytes
    flags: set[str] = field(default_factory=set)
    internaldate: datetime = field(default_factory=lambda: datetime.now(UTC))


_TOKEN_RE = re.compile(r'"((?:[^"\\]|\\.)*)"|(\()|(\))|([^\s()"]+)')


def _tokens(text: str) -> list[str]:
    """IMAP arguments: atoms and quoted strings (parentheses kept as their own tokens)."""
    out: list[str] = []
    for quoted, opening, closing, atom in _TOKEN_RE.findall(text):
        if opening or closing:
            out.append(opening or closing)
        elif atom:
            out.append(atom)
        else:
            out.append(re.sub(r"\\(.)", r"\1", quoted))
    return out


def _in_set(number: int, spec: str, largest: int) -> bool:
    """Whether ``number`` is in an IMAP sequence set like ``1,4:7,9:*`` (``*`` = the largest)."""
    for part in spec.split(","):
        low, sep, high = part.partition(":")
        a = largest if low == "*" else int(low)
        b = (largest if high == "*" else int(high)) if sep else a
        if min(a, b) <= number <= max(a, b):
            return True
    return False


class _IMAPHandler(socketserver.StreamRequestHandler):
    server_fake: FakeIMAPServer

    def send(self, line: str | bytes) -> None:
        self.wfile.write((line.encode("utf-8") if isinstance(line, str) else line) + CRLF)

    def handle(self) -> None:
        fake = self.server_fake
        if fake.down:
            return
        self.authenticated = False
        self.selected = False
        self.send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Otklik fake IMAP ready")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            tag, _, rest = line.partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            with fake.lock:
                fake.commands.append(f"{command} {args}".strip() if command != "LOGIN" else "LOGIN ***")
            if command == "UID":
                sub, _, args = args.partition(" ")
                command = f"UID {sub.upper()}"
            try:
                if not self.dispatch(tag, command, args):
                    return
            except (ValueError, IndexError) as exc:
                self.send(f"{tag} BAD {exc}")

    def dispatch(self, tag: str, command: str, args: str) -> bool:
        fake = self.server_fake
        if command == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
            self.send(f"{tag} OK CAPABILITY completed")
        elif command == "NOOP":
            self.send(f"{tag} OK NOOP completed")
        elif command == "LOGOUT":
            self.send("* BYE logging out")
            self.send(f"{tag} OK LOGOUT completed")
            return False
        elif command == "LOGIN":
            user, password = _tokens(args)[:2]
            if (user, password) != (fake.username, fake.password):
                self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
            else:
                self.authenticated = True
                self.send(f"{tag} OK [CAPABILITY IMAP4rev1] LOGIN completed")
        elif not self.authenticated:
            self.send(f"{tag} BAD log in first")
        elif command in ("SELECT", "EXAMINE"):
            mailbox = _tokens(args)[0]
            if mailbox.upper() != fake.mailbox.upper():
                self.send(f"{tag} NO [NONEXISTENT] no mailbox {mailbox}")
                return True
            self.selected = True
            with fake.lock:
                exists, uidnext = len(fake.mails), fake.next_uid
            self.send(r"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)")
            self.send(f"* {exists} EXISTS")
            self.send("* 0 RECENT")
            self.send(f"* OK [UIDVALIDITY {fake.uidvalidity}] UIDs valid")
            self.send(f"* OK [UIDNEXT {uidnext}] Predicted next UID")
            mode = "READ-ONLY" if command == "EXAMINE" else "READ-WRITE"
            self.send(f"{tag} OK [{mode}] {command} completed")
        elif not self.selected:
            self.send(f"{tag} BAD select a mailbox first")
        elif command == "UID SEARCH":
            self.send("* SEARCH " + " ".join(str(m.uid) for m in self.search(_tokens(args))))
            self.send(f"{tag} OK SEARCH completed")
        elif command == "UID FETCH":
            spec, _, items = args.partition(" ")
            self.fetch(spec, items.upper())
            self.send(f"{tag} OK FETCH completed")
        else:
            self.send(f"{tag} BAD unknown command {command}")
        return True

    def search(self, criteria: list[str]) -> list[StoredMail]:
        fake = self.server_fake
        with fake.lock:
            mails = list(fake.mails)
        largest = max((m.uid for m in mails), default=0)
        keys = [c.upper() for c in criteria if c not in ("(", ")")]
        result = []
        for mail in mails:
            ok, i = True, 0
            while i < len(keys):
                key = keys[i]
                if key == "UID":
                    ok &= _in_set(mail.uid, keys[i + 1], largest)
                    i += 1
                elif key == "UNSEEN":
                    ok &= "\\Seen" not in mail.flags
                elif key == "SEEN":
                    ok &= "\\Seen" in mail.flags
                elif key != "ALL":
                    raise ValueError(f"unsupported search key {key}")
                i += 1
            if ok:
                result.append(mail)
        return result

    def fetch(self, spec: str, items: str) -> None:
        fake = self.server_fake
        with fake.lock:
            mails = list(fake.mails)
        largest = max((m.uid for m in mails), default=0)
        for number, mail in enumerate(mails, start=1):
            if not _in_set(mail.uid, spec, largest):
                continue
            parts = [f"UID {mail.uid}"]
            if "FLAGS" in items:
                parts.append(f"FLAGS ({' '.join(sorted(mail.flags))})")
            if "INTERNALDATE" in items:
                parts.append(f'INTERNALDATE "{mail.internaldate.strftime("%d-%b-%Y %H:%M:%S %z")}"')
            if "RFC822.SIZE" in items:
                parts.append(f"RFC822.SIZE {len(mail.data)}")
            body_item = (
                "BODY[]"
                if "BODY" in items
                else ("RFC822" if "RFC822" in items.replace("RFC822.SIZE", "") else "")
            )
            if body_item:
                if "BODY[]" in items and "PEEK" not in items:
                    mail.flags.add("\\Seen")
                head = f"* {number} FETCH ({' '.join(parts)} {body_item} {{{len(mail.data)}}}"
                self.wfile.write(head.encode("utf-8") + CRLF + mail.data + b")" + CRLF)
            else:
                self.send(f"* {number} FETCH ({' '.join(parts)})")


class FakeIMAPServer(_FakeBase):
    """One mailbox (``INBOX``) of one user; :meth:`add` puts a message in and returns its UID."""

    handler_class = _IMAPHandler

    def __init__(
        self,
        *,
        username: str = "cur@example.test",
        password: str = "secret",
        mailbox: str = "INBOX",
        uidvalidity: int = 1700000000,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.username, self.password, self.mailbox = username, password, mailbox
        self.uidvalidity = uidvalidity
        self.mails: list[StoredMail] = []
        self.next_uid = 1
        self.commands: list[str] = []
        super().__init__(host=host, port=port)

    def add(
        self, data: bytes | EmailMessage, *, seen: bool = False, internaldate: datetime | None = None
    ) -> int:
        if isinstance(data, EmailMessage):
            data = data.as_bytes(policy=policy.SMTP)
        with self.lock:
            uid = self.next_uid
            self.next_uid += 1
            mail = StoredMail(uid=uid, data=data, flags={"\\Seen"} if seen else set())
            if internaldate is not None:
                mail.internaldate = internaldate
            self.mails.append(mail)
        return uid

    def expunge(self, uid: int) -> None:
        with self.lock:
            self.mails = [m for m in self.mails if m.uid != uid]

    def reset_uids(self, uidvalidity: int) -> None:
        """The server renumbered the mailbox (a migration): new UIDVALIDITY, UIDs from 1."""
        with self.lock:
            self.uidvalidity = uidvalidity
            for number, mail in enumerate(self.mails, start=1):
                mail.uid = number
            self.next_uid = len(self.mails) + 1


# --- SMTP ---------------------------------------------------------------------------------------------


@dataclass
class Delivered:
    mail_from: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _SMTPHandler(socketserver.StreamRequestHandler):
    server_fake: FakeSMTPServer

    def send(self, line: str) -> None:
        self.wfile.write(line.encode("utf-8") + CRLF)

    def handle(self) -> None:
        fake = self.server_fake
        if fake.down:
            return
        self.send("220 fake.example.test ESMTP Otklik fake")
        mail_from, recipients = "", cast(list[str], [])
        authenticated = fake.username is None
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.send("250-fake.example.test")
                self.send("250-8BITMIME")
                self.send("250 AUTH PLAIN")
            elif verb == "HELO":
                self.send("250 fake.example.test")
            elif verb == "AUTH":
                mechanism, _, blob = arg.partition(" ")
                try:
                    _, user, password = base64.b64decode(blob).decode("utf-8").split("\0")
                except (ValueError, UnicodeDecodeError):
                    self.send("501 malformed AUTH")
                    continue
                if mechanism.upper() == "PLAIN" and (user, password) == (fake.username, fake.password):
                    authenticated = True
                    self.send("235 2.7.0 Authentication successful")
                else:
                    self.send("535 5.7.8 Authentication credentials invalid")
            elif verb == "MAIL":
                if not authenticated:
                    self.send("530 5.7.0 Authentication required")
                    continue
                mail_from, recipients = arg.split(":", 1)[1].split()[0].strip("<>"), []
                self.send("250 OK")
            elif verb == "RCPT":
                address = arg.split(":", 1)[1].strip().strip("<>")
                if address in fake.reject:
                    self.send(f"550 5.1.1 <{address}>: mailbox unavailable")
                    continue
                recipients.append(address)
                self.send("250 OK")
            elif verb == "DATA":
                if not recipients:
                    self.send("503 5.5.1 no valid recipients")
                    continue
                self.send("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    chunk = self.rfile.readline()
                    if not chunk or chunk in (b".\r\n", b".\n"):
                        break
                    lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                with fake.lock:
                    fake.messages.append(Delivered(mail_from, list(recipients), b"".join(lines)))
                self.send("250 OK queued")
            elif verb == "RSET":
                mail_from, recipients = "", []
                self.send("250 OK")
            elif verb == "NOOP":
                self.send("250 OK")
            elif verb == "QUIT":
                self.send("221 Bye")
                return
            else:
                self.send("502 5.5.2 command not recognized")


class FakeSMTPServer(_FakeBase):
    """An SMTP sink; with ``username`` set it requires ``AUTH PLAIN``; ``reject`` refuses recipients."""

    handler_class = _SMTPHandler

    def __init__(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.username, self.password = username, password
        self.messages: list[Delivered] = []
        self.reject: set[str] = set()
        super().__init__(host=host, port=port)
