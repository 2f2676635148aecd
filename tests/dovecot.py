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
{ssl}
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
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class Dovecot:
    port: int  # IMAP, with STARTTLS when the server has TLS
    root: Path
    imaps_port: int = 0  # IMAPS (TLS from the start), when the server has TLS
    ca_file: Path | None = None  # the certificate authority its certificate is signed by


def _certificates(root: Path) -> tuple[Path, Path, Path]:
    """A throwaway authority and a certificate for 127.0.0.1 signed by it."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Luukku test CA"))
        .issuer_name(name("Luukku test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = root / "ca.pem", root / "cert.pem", root / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def _binary() -> str:
    path = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
    )
    if not path:
        pytest.fail("Dovecot is not installed: run `make servers` (apt-get install dovecot-imapd).")
    return path


def run_dovecot(users: dict[str, str], *, tls: bool = False) -> Iterator[Dovecot]:
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
    imaps_port, ca_file, ssl = 0, None, "ssl = no"
    if tls:
        ca_file, cert, key = _certificates(root)
        imaps_port = free_port()
        ssl = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}"
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(root=root, port=port, uid=uid, gid=gid, ssl=ssl, imaps_port=imaps_port)
    )
    subprocess.run([binary, "-c", str(config)], check=True)  # noqa: S603
    try:
        for _ in range(50):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield Dovecot(port=port, root=root, imaps_port=imaps_port, ca_file=ca_file)
    finally:
        subprocess.run([binary, "-c", str(config), "stop"], check=False)  # noqa: S603
        time.sleep(0.2)
        shutil.rmtree(root, ignore_errors=True)
