"""Fixtures of the email channel's tests: a real IMAP server (Debian's Dovecot, started
from a temporary directory on a free port, with a passwd-file and a Maildir; installed by
``make imap``), the mailbox settings pointing at it, and raw messages."""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "support@example.test"
PASSWORD = "imap-secret"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _users() -> tuple[str, str, int, int]:
    """(internal user, login user, mail uid, mail gid). Dovecot refuses to run its login
    and mail processes as root: as root it uses its own Debian users; as anyone else it
    runs everything as that user."""
    if os.geteuid() == 0:
        mail = pwd.getpwnam("dovecot")
        return "dovecot", "dovenull", mail.pw_uid, mail.pw_gid
    me = pwd.getpwuid(os.geteuid())
    return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid


@dataclass
class ImapServer:
    """A running Dovecot: its port, one mailbox's credentials, and helpers that change the
    mailbox over IMAP itself (as a mail server delivering would)."""

    host: str
    port: int
    user: str
    password: str
    log: Path

    def connect(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4(self.host, self.port, timeout=10)
        connection.login(self.user, self.password)
        return connection

    def deliver(self, raw: bytes, folder: str = "INBOX") -> int:
        """Append a message; its UID."""
        connection = self.connect()
        try:
            status, data = connection.append(folder, None, None, raw)
            assert status == "OK", data
            text = data[0].decode() if isinstance(data[0], bytes) else str(data[0])
            return int(text.split("APPENDUID", 1)[1].split()[1].rstrip("]"))
        finally:
            connection.logout()

    def flags(self, uid: int, folder: str = "INBOX") -> str:
        connection = self.connect()
        try:
            connection.select(folder, readonly=True)
            status, data = connection.uid("FETCH", str(uid), "(FLAGS)")
            assert status == "OK", data
            return (data[0] or b"").decode() if isinstance(data[0], bytes) else str(data[0])
        finally:
            connection.logout()

    def uidvalidity(self, folder: str = "INBOX") -> int:
        connection = self.connect()
        try:
            connection.select(folder, readonly=True)
            return int(connection.response("UIDVALIDITY")[1][0])
        finally:
            connection.logout()

    def recreate(self, folder: str) -> None:
        """Delete and create ``folder`` again: a new UIDVALIDITY, UIDs from 1 again."""
        connection = self.connect()
        try:
            connection.delete(folder)
            status, data = connection.create(folder)
            assert status == "OK", data
        finally:
            connection.logout()


_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/home/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""


@contextlib.contextmanager
def dovecot_running() -> Iterator[ImapServer]:
    """Dovecot on a free local port, with one empty mailbox (``USER``/``PASSWORD``)."""
    if not os.path.exists(DOVECOT):
        pytest.fail("Debian's dovecot-imapd is missing: run `make imap` (make test does).")
    root = Path(tempfile.mkdtemp(prefix="pv-imap-"))
    internal_user, login_user, uid, gid = _users()
    port = _free_port()
    (root / "home" / USER / "Maildir").mkdir(parents=True)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    config = root / "dovecot.conf"
    config.write_text(
        _CONFIG.format(
            root=root,
            internal_user=internal_user,
            internal_group=grp.getgrgid(gid).gr_name if os.geteuid() else "dovecot",
            login_user=login_user,
            uid=uid,
            gid=gid,
            port=port,
        )
    )
    root.chmod(0o755)
    for path in [root / "home", *(root / "home").rglob("*")]:
        os.chown(path, uid, gid)
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = ImapServer("127.0.0.1", port, USER, PASSWORD, root / "dovecot.log")
    try:
        for _attempt in range(100):
            try:
                server.connect().logout()
                break
            except (OSError, imaplib.IMAP4.error):
                if process.poll() is not None:
                    break
                time.sleep(0.1)
        else:
            pytest.fail("dovecot did not start")
        if process.poll() is not None:
            log = server.log.read_text() if server.log.exists() else ""
            pytest.fail(f"dovecot stopped: {log}")
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_server() -> Iterator[ImapServer]:
    """A real IMAP server for the test (see :func:`dovecot_running`)."""
    with dovecot_running() as server:
        yield server


@pytest.fixture
def imap_settings(imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch) -> ImapServer:
    """The support mailbox settings point at ``imap_server``'s INBOX."""
    monkeypatch.setenv("PEYVAND_SUPPORT_IMAP_HOST", imap_server.host)
    monkeypatch.setenv("PEYVAND_SUPPORT_IMAP_PORT", str(imap_server.port))
    monkeypatch.setenv("PEYVAND_SUPPORT_IMAP_USER", imap_server.user)
    monkeypatch.setenv("PEYVAND_SUPPORT_IMAP_PASSWORD", imap_server.password)
    monkeypatch.setenv("PEYVAND_SUPPORT_IMAP_SSL", "0")
    monkeypatch.setenv("PEYVAND_SUPPORT_IMAP_FOLDER", "INBOX")
    return imap_server


@pytest.fixture(autouse=True)
def _email_channel_settings(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> None:
    """A known support address, no portal, and files under the test's own folder."""
    monkeypatch.setenv("PEYVAND_SUPPORT_EMAIL", "support@peyvand.test")
    monkeypatch.delenv("PEYVAND_INBOUND_EMAIL_SECRET", raising=False)
    monkeypatch.delenv("PEYVAND_SUPPORT_IMAP_HOST", raising=False)
    settings.MEDIA_ROOT = tmp_path / "media"
