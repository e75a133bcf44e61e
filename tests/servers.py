"""Real servers for integration tests, started on loopback ports with throw-away settings.

`Dovecot` runs the IMAP server from Debian's `dovecot-imapd` package in a
temporary directory: its own certificate authority and server certificate
(made with the openssl command), its own configuration, users in a
passwd-file and Maildir homes. Tests talk to it over 127.0.0.1 only.

The `dovecot` pytest fixture at the bottom starts one per test and stops it
afterwards; it is skipped when Dovecot is not installed, except under CI
(environment variable CI set), where a missing server is a failure.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
HOST = "127.0.0.1"

_TLS_FILES = ("ca.crt", "server.crt", "server.key")
_tls_cache: Path | None = None  # one CA and server certificate per test process


def dovecot_installed() -> bool:
    """Whether the Dovecot server and its admin tool are on this machine."""
    return os.access(DOVECOT, os.X_OK) and os.access(DOVEADM, os.X_OK)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def make_tls_files(folder: Path) -> None:
    """A throw-away CA and a server certificate it signed, for 127.0.0.1 and localhost."""
    folder.mkdir(parents=True, exist_ok=True)
    ext = folder / "server.ext"
    ext.write_text(
        "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
        "basicConstraints = CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid, issuer\n",
        encoding="ascii",
    )
    commands = [
        "req -x509 -newkey rsa:2048 -nodes -days 3 -keyout ca.key -out ca.crt",
        "req -newkey rsa:2048 -nodes -keyout server.key -out server.csr",
        "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3"
        " -out server.crt -extfile server.ext",
    ]
    extra = [
        [
            "-subj",
            "/CN=anupalan test CA",
            "-addext",
            "basicConstraints = critical, CA:TRUE",
            "-addext",
            "keyUsage = critical, keyCertSign, cRLSign",
        ],
        ["-subj", "/CN=localhost"],
        [],
    ]
    for command, more in zip(commands, extra, strict=True):
        subprocess.run(
            ["openssl", *command.split(), *more],
            cwd=folder,
            check=True,
            capture_output=True,
            timeout=60,
        )


def _tls_files() -> Path:
    global _tls_cache
    if _tls_cache is None or not (_tls_cache / "server.key").exists():
        folder = Path(tempfile.mkdtemp(prefix="anupalan-test-tls-"))
        atexit.register(shutil.rmtree, folder, True)
        make_tls_files(folder)
        _tls_cache = folder
    return _tls_cache


def _mail_owner() -> tuple[int, int, str]:
    """The unprivileged uid, gid and name that mail files belong to."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid, nobody.pw_name
    me = pwd.getpwuid(os.geteuid())
    return me.pw_uid, me.pw_gid, me.pw_name


class DovecotError(RuntimeError):
    """The test server could not be started or driven."""


class Dovecot:
    """A Dovecot IMAP server of its own, in a temporary directory, on free loopback ports."""

    host = HOST

    def __init__(self, users: dict[str, str] | None = None) -> None:
        # Not under pytest's tmp_path: that is private to root (the mail processes run
        # as an unprivileged user and must reach the homes) and its paths are too long
        # for the server's Unix sockets.
        self.root = Path(tempfile.mkdtemp(prefix="anupalan-dovecot-"))
        self.root.chmod(0o755)
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.uid, self.gid, self.owner = _mail_owner()
        self.config_file = self.root / "dovecot.conf"
        self.users_file = self.root / "users"
        self.log_file = self.root / "dovecot.log"
        self.home = self.root / "home"
        self.home.mkdir()
        os.chown(self.home, self.uid, self.gid)
        tls = self.root / "tls"
        shutil.copytree(_tls_files(), tls, ignore=shutil.ignore_patterns("*.key", "*.srl"))
        shutil.copy2(_tls_files() / "server.key", tls / "server.key")
        self.ca_file = tls / "ca.crt"
        self._tls = tls
        self.passwords: dict[str, str] = {}
        self.users_file.write_text("", encoding="utf-8")
        for name, password in (users or {}).items():
            self.add_user(name, password)
        self._write_config()
        self._process: subprocess.Popen[bytes] | None = None

    # ----------------------------------------------------------------- life cycle

    def _write_config(self) -> None:
        root = self.root
        unprivileged = ""
        if os.geteuid() != 0:
            unprivileged = (
                f"default_login_user = {self.owner}\n"
                f"default_internal_user = {self.owner}\n"
                "service anvil {\n  chroot =\n}\n"
                "service imap-login {\n  chroot =\n}\n"
            )
        self.config_file.write_text(
            f"""\
base_dir = {root}/run
state_dir = {root}/state
log_path = {self.log_file}
instance_name = anupalan-test-{self.imap_port}
listen = 127.0.0.1
protocols = imap
ssl = yes
ssl_cert = <{self._tls}/server.crt
ssl_key = <{self._tls}/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_failure_delay = 0
login_trusted_networks =
first_valid_uid = {self.uid}
last_valid_uid = {self.uid}
first_valid_gid = {self.gid}
last_valid_gid = {self.gid}
mail_location = maildir:~/Maildir
mail_plugins =
imap_idle_notify_interval = 2 secs
shutdown_clients = yes
passdb {{
  driver = passwd-file
  args = {self.users_file}
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={self.home}/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
}}
{unprivileged}""",
            encoding="utf-8",
        )

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, wait: float = 10.0) -> None:
        """Start the server and wait until both ports accept connections."""
        if self.running:
            return
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + wait
        for port in (self.imap_port, self.imaps_port):
            while True:
                if self._process.poll() is not None:
                    raise DovecotError(f"dovecot exited at start: {self._failure()}")
                try:
                    with socket.create_connection((HOST, port), timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        self.stop()
                        raise DovecotError(
                            f"dovecot did not listen on port {port} within {wait:g} s: "
                            f"{self._failure()}"
                        ) from None
                    time.sleep(0.05)

    def stop(self, wait: float = 10.0) -> None:
        """Stop the server at once, its connections with it. Mail stays on disk.

        The master alone would leave logged-in sessions running; the whole
        process group (the server was started as its leader) is signalled.
        """
        process, self._process = self._process, None
        if process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(wait)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything still lingering
        if process.stderr is not None:
            process.stderr.close()

    def restart(self) -> None:
        """Stop and start again on the same ports."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the server and remove its directory."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _failure(self) -> str:
        text = ""
        if self._process is not None and self._process.poll() is not None:
            assert self._process.stderr is not None
            text = self._process.stderr.read().decode(errors="replace")
        if self.log_file.exists():
            text += "\n" + self.log_file.read_text(errors="replace")[-3000:]
        return text.strip() or "(nothing in the log)"

    def log(self) -> str:
        """What the server logged so far."""
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def _doveadm(self, *args: str) -> str:
        done = subprocess.run(
            [DOVEADM, "-c", str(self.config_file), *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if done.returncode != 0:
            raise DovecotError(f"doveadm {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def kick(self, user: str) -> None:
        """Drop every connection the user has open, as an administrator would."""
        self._doveadm("kick", user)

    # ----------------------------------------------------------------- users and mail

    def add_user(self, name: str, password: str) -> None:
        """A user who can log in with this password (the server rereads the file)."""
        self.passwords[name] = password
        with self.users_file.open("a", encoding="utf-8") as users:
            users.write(f"{name}:{{PLAIN}}{password}::::::\n")

    def client(self, user: str) -> IMAPClient:
        """A logged-in client of the user, over plain loopback."""
        client = IMAPClient(HOST, self.imap_port, ssl=False, timeout=10)
        client.login(user, self.passwords[user])
        return client

    def append(
        self,
        user: str,
        folder: str,
        raw: bytes,
        when: datetime | None = None,
        flags: Sequence[str] = (),
    ) -> None:
        """Deliver a message into the user's folder (created if missing), as received `when`."""
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw, flags=flags, msg_time=when)

    def messages(self, user: str, folder: str) -> list[bytes]:
        """The bytes of every message in the folder, oldest first; reading sets no flag."""
        return [raw for raw, _ in self._read(user, folder)]

    def flags(self, user: str, folder: str) -> list[tuple[str, ...]]:
        """The flags of every message in the folder, oldest first."""
        return [flags for _, flags in self._read(user, folder)]

    def _read(self, user: str, folder: str) -> list[tuple[bytes, tuple[str, ...]]]:
        with self.client(user) as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search("ALL"))
            data = client.fetch(uids, ["BODY.PEEK[]", "FLAGS"]) if uids else {}
        return [
            (data[uid][b"BODY[]"], tuple(flag.decode() for flag in data[uid][b"FLAGS"]))
            for uid in uids
        ]

    def folder_status(self, user: str, folder: str) -> dict[bytes, Any]:
        """UIDVALIDITY, UIDNEXT and MESSAGES of the folder."""
        with self.client(user) as client:
            status: dict[bytes, Any] = client.folder_status(
                folder, ["UIDVALIDITY", "UIDNEXT", "MESSAGES"]
            )
        return status

    def uidvalidity(self, user: str, folder: str) -> int:
        return int(self.folder_status(user, folder)[b"UIDVALIDITY"])

    def reset_uidvalidity(self, user: str, folder: str) -> None:
        """Make the server forget the folder's UIDs, as after a restore or a migration.

        The server is stopped, the folder's UID list and indexes are removed, and the
        server is started again: it numbers the same messages afresh under a new
        UIDVALIDITY.
        """
        before = self.uidvalidity(user, folder)
        self.stop()
        maildir = self.home / user / "Maildir"
        box = maildir if folder.upper() == "INBOX" else maildir / f".{folder.replace('/', '.')}"
        # dovecot-uidvalidity* hold the counter new values are taken from: kept.
        for path in box.iterdir():
            if path.name == "dovecot-uidlist" or path.name.startswith("dovecot.index"):
                path.unlink()
        self.start()
        after = self.uidvalidity(user, folder)
        if after == before:
            raise DovecotError(f"UIDVALIDITY of {folder} stayed {before}")

    def tls_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """A running Dovecot with one user, `unit-inbox`, password `imap-secret-1`."""
    if not dovecot_installed():
        message = (
            f"Dovecot is not installed ({DOVECOT} and {DOVEADM} are needed; "
            "on Debian: apt-get install dovecot-imapd)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = Dovecot({"unit-inbox": "imap-secret-1"})
    try:
        server.start()
        yield server
    finally:
        server.close()
