"""A throwaway Dovecot IMAP server on a loopback port, for tests that fetch mail.

Debian's dovecot-imapd is installed by `make servers` (part of `make test` when run as
root). The server runs with its own configuration, users and maildirs in a temporary
directory and is stopped afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.test_staff_email_smtp import free_port

CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
log_path = {root}/dovecot.log
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class Dovecot:
    port: int
    root: Path


def _binary() -> str:
    path = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
    )
    if not path:
        pytest.fail("Dovecot is not installed: run `make servers` (apt-get install dovecot-imapd).")
    return path


def run_dovecot(users: dict[str, str]) -> Iterator[Dovecot]:
    binary = _binary()
    # Dovecot's own processes run as other users: the directory must be open to them
    # (pytest's tmp_path is private to its owner).
    root = Path(tempfile.mkdtemp(prefix="luukku-dovecot-"))
    root.chmod(0o755)
    for sub in ("run", "state", "home"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    # Mail processes may not run as root: as root, give the maildirs to nobody.
    uid, gid = (65534, 65534) if os.getuid() == 0 else (os.getuid(), os.getgid())
    os.chown(root / "home", uid, gid)
    (root / "users").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in users.items()))
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, port=port, uid=uid, gid=gid))
    subprocess.run([binary, "-c", str(config)], check=True)  # noqa: S603
    try:
        for _ in range(50):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield Dovecot(port=port, root=root)
    finally:
        subprocess.run([binary, "-c", str(config), "stop"], check=False)  # noqa: S603
        time.sleep(0.2)
        shutil.rmtree(root, ignore_errors=True)
