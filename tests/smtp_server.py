"""A real SMTP server for tests: aiosmtpd on a free loopback port, scriptable to fail.

`SmtpServer` records every message it accepts in `.received` (envelope and
bytes, exactly as they arrived), and can be told to refuse a recipient, to
answer the next MAIL, RCPT or DATA with a 4xx or 5xx reply, or to hand each
accepted message to a `deliver` hook (a real mailbox, for instance).

It speaks plain SMTP, STARTTLS or TLS from the first byte, with certificates
from a throw-away CA made by the openssl command for 127.0.0.1 and localhost
(`.ca` is the CA certificate to trust), and logs users in with AUTH LOGIN and
PLAIN (and XOAUTH2 when given an `oauth2_token`).

The fixtures at the bottom give a plain server and a STARTTLS server that
requires a login.
"""

from __future__ import annotations

import base64
import secrets
import socket
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from daemon.config import SmtpOutgoing

HOST = "127.0.0.1"
USER = "cell@example.gov.in"
PASSWORD = "s3cret-Pa55word"

Security = Literal["none", "starttls", "tls"]
Stage = Literal["MAIL", "RCPT", "DATA"]
Deliver = Callable[[str, str, bytes], None]

_OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = anupalan test
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


@dataclass(frozen=True)
class Certificates:
    """A throw-away CA and a server certificate it signed for 127.0.0.1 and localhost."""

    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificates(directory: Path) -> Certificates:
    """Make a CA and a server certificate in `directory` with the openssl command."""
    config = directory / "openssl.cnf"
    config.write_text(_OPENSSL_CONFIG, encoding="ascii")
    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    cert, key, csr = directory / "server.pem", directory / "server.key", directory / "server.csr"
    new_key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    ca_subject = ("-subj", "/CN=anupalan test CA")
    sign = ("-CA", ca, "-CAkey", ca_key, "-set_serial", str(secrets.randbits(63)))
    commands: list[tuple[str | Path, ...]] = [
        ("req", "-x509", *new_key, "-keyout", ca_key, "-out", ca, "-days", "2", *ca_subject,
         "-config", config, "-extensions", "ca"),
        ("req", "-new", *new_key, "-keyout", key, "-out", csr, "-subj", "/CN=localhost",
         "-config", config),
        ("x509", "-req", "-in", csr, *sign, "-out", cert, "-days", "2",
         "-extfile", config, "-extensions", "server"),
    ]  # fmt: skip
    for args in commands:
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=30)
    return Certificates(ca=ca, cert=cert, key=key)


@dataclass(frozen=True)
class ReceivedMail:
    """A message the server accepted: its envelope, its bytes, and how the session was set up."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    login: str | None  # the user who logged in, if one did
    tls: bool  # whether the session was encrypted


def free_port() -> int:
    """A TCP port nothing listens on at this moment."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class SmtpServer:
    """aiosmtpd on 127.0.0.1, recording what it accepts and failing on request.

    security: "none" (plain, no STARTTLS offered), "starttls" (offered, and
    required before MAIL when `require_starttls`), "tls" (TLS from the first
    byte). With `user` and `password`, AUTH LOGIN and PLAIN accept them (over
    TLS only, except on a plain server, where loopback logins are allowed);
    `auth_required` then refuses mail from sessions that did not log in.
    `broken_starttls` makes a plain server advertise STARTTLS and then refuse it,
    as a broken server or a tampered-with connection would.
    """

    def __init__(
        self,
        security: Security = "none",
        *,
        user: str | None = None,
        password: str | None = None,
        oauth2_token: str | None = None,
        auth_required: bool = False,
        require_starttls: bool = True,
        broken_starttls: bool = False,
        deliver: Deliver | None = None,
        certificates: Certificates | None = None,
    ) -> None:
        self.security = security
        self.user = user
        self.password = password
        self.oauth2_token = oauth2_token
        self.auth_required = auth_required
        self.require_starttls = require_starttls
        self.broken_starttls = broken_starttls
        self.deliver = deliver
        self.host = HOST
        self.port = 0
        self.received: list[ReceivedMail] = []
        self.logins: list[tuple[str, str]] = []  # (mechanism, user) of each accepted login
        self.mail_commands: list[str] = []  # the sender of every MAIL FROM the server was sent
        self._certificates = certificates
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._lock = threading.Lock()
        self._failures: dict[Stage, list[str]] = {"MAIL": [], "RCPT": [], "DATA": []}
        self._refused: dict[str, str] = {}
        self._controller: Controller | None = None

    # -- scripting ----------------------------------------------------------------

    def fail_next(self, code: int, text: str, times: int = 1, at: Stage = "DATA") -> None:
        """Answer the next `times` MAIL, RCPT or DATA commands with `code text` (451, 550 ...)."""
        with self._lock:
            self._failures[at].extend([f"{code} {text}"] * times)

    def refuse_recipient(self, address: str, code: int = 550, text: str | None = None) -> None:
        """Refuse `address` at RCPT, every time, with `code` (550: no such user)."""
        reply = text or ("5.1.1 no such mailbox" if code >= 500 else "4.2.1 try again later")
        with self._lock:
            self._refused[address.lower()] = f"{code} {reply}"

    # -- what tests point a client at ----------------------------------------------

    @property
    def ca(self) -> Path:
        """The CA certificate that signed the server's certificate (for tls_ca)."""
        return self.certificates.ca

    @property
    def certificates(self) -> Certificates:
        if self._certificates is None:
            self._certificates = make_certificates(Path(self._tmpdir()))
        return self._certificates

    def settings(self, **overrides: Any) -> SmtpOutgoing:
        """`outgoing:` settings that reach this server (trusting its CA, with its user)."""
        values: dict[str, Any] = {
            "backend": "smtp",
            "from": "Compliance Cell <compliance-cell@example.gov.in>",
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "timeout": 10,
        }
        if self.security != "none":
            values["tls_ca"] = self.ca
        if self.user is not None and self.password is not None:
            values.update(username=self.user, password=self.password)
        values.update(overrides)
        return SmtpOutgoing.model_validate({k: v for k, v in values.items() if v is not None})

    # -- running ------------------------------------------------------------------

    def start(self) -> SmtpServer:
        if self._controller is not None:
            return self
        for attempt in range(3):
            try:
                self._start_on(free_port())
                return self
            except OSError:  # another process took the free port first
                if attempt == 2:
                    raise
        return self

    def _start_on(self, port: int) -> None:
        kwargs: dict[str, Any] = {
            "hostname": self.host,
            "port": port,
            "server_hostname": "localhost",
            "auth_required": self.auth_required,
            "auth_require_tls": self.security == "starttls",
            "authenticator": self._authenticate,
            "auth_exclude_mechanism": [] if self.oauth2_token else ["XOAUTH2"],
            "ready_timeout": 10,
        }
        if self.security == "starttls":
            kwargs["tls_context"] = self.certificates.server_context()
            kwargs["require_starttls"] = self.require_starttls
        elif self.security == "tls":
            kwargs["ssl_context"] = self.certificates.server_context()
        handler = _BrokenStartTlsHandler(self) if self.broken_starttls else _Handler(self)
        controller = Controller(handler, **kwargs)
        controller.start()
        self.port = port
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self._certificates = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- used by the handler, on the server's thread -------------------------------

    def _tmpdir(self) -> str:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="anupalan-smtp-")
        return self._tmp.name

    def _take_failure(self, stage: Stage) -> str | None:
        with self._lock:
            return self._failures[stage].pop(0) if self._failures[stage] else None

    def _refusal(self, address: str) -> str | None:
        with self._lock:
            return self._refused.get(address.lower())

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if (
            isinstance(data, LoginPassword)
            and self.user is not None
            and self.password is not None
            and data.login == self.user.encode()
            and data.password == self.password.encode()
        ):
            self.logins.append((mechanism, self.user))
            return AuthResult(success=True, auth_data=data)
        return AuthResult(success=False, handled=False)


class _Handler:
    """aiosmtpd hooks; the server's scripted failures come first, then normal acceptance."""

    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        self.owner.mail_commands.append(address)
        failure = self.owner._take_failure("MAIL")
        if failure is not None:
            return failure
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        failure = self.owner._refusal(address) or self.owner._take_failure("RCPT")
        if failure is not None:
            return failure
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        failure = self.owner._take_failure("DATA")
        if failure is not None:
            return failure
        content = envelope.original_content or b""
        mail_from = envelope.mail_from or ""
        if self.owner.deliver is not None:
            for rcpt in envelope.rcpt_tos:
                try:
                    self.owner.deliver(mail_from, rcpt, content)
                except Exception as exc:
                    return f"451 4.3.0 local delivery to {rcpt} failed: {exc}"
        auth = session.auth_data
        transport = server.transport
        self.owner.received.append(
            ReceivedMail(
                mail_from=mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                content=content,
                login=auth.login.decode() if isinstance(auth, LoginPassword) else None,
                tls=transport is not None and transport.get_extra_info("ssl_object") is not None,
            )
        )
        return "250 2.0.0 OK: queued"

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """XOAUTH2 as Gmail and Microsoft 365 speak it, with the owner's one valid token."""
        owner = self.owner
        if len(args) > 1:
            encoded: Any = args[1].encode()
        else:
            encoded = await server.challenge_auth("", encode_to_b64=False)
        try:
            fields = base64.b64decode(encoded, validate=True).decode().split("\x01")
        except (ValueError, TypeError):
            return AuthResult(success=False, handled=False)
        values = dict(f.split("=", 1) for f in fields if "=" in f)
        user, auth = values.get("user"), values.get("auth")
        token = owner.oauth2_token
        if user is not None and user == owner.user and token and auth == f"Bearer {token}":
            owner.logins.append(("XOAUTH2", user))
            return AuthResult(success=True, auth_data=LoginPassword(user.encode(), b""))
        return AuthResult(success=False, handled=False)


class _BrokenStartTlsHandler(_Handler):
    """Advertises STARTTLS without being able to do it: the command is then refused."""

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname  # aiosmtpd leaves this to a handler that has the hook
        return [*responses[:-1], "250-STARTTLS", responses[-1]]


# -- fixtures (registered in tests/conftest.py) ---------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server on loopback: no TLS, no login needed (security: none)."""
    with SmtpServer() as server:
        yield server


@pytest.fixture
def smtp_tls_server() -> Iterator[SmtpServer]:
    """A STARTTLS server that requires TLS and a login as USER with PASSWORD."""
    with SmtpServer("starttls", user=USER, password=PASSWORD, auth_required=True) as server:
        yield server
