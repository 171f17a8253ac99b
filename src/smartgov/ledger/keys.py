"""The log's Ed25519 signing key, written as the Go note package writes it
(`PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>`), so keys move between smartgov
and the transparency-dev tools."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from smartgov.core.settings import Settings
from smartgov.ledger.verify import ED25519, VerifierKey, key_id

PREFIX = "PRIVATE+KEY+"
#: The log's name when development derives its key from the secret key.
DEVELOPMENT_NAME = "smartgov.localhost/ledger"


class LedgerKeyError(ValueError):
    """The configured key cannot be used; the message says how to make one."""


@dataclass(frozen=True)
class Signer:
    name: str
    private: Ed25519PrivateKey

    @property
    def verifier(self) -> VerifierKey:
        public = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return VerifierKey(self.name, key_id(self.name, public), public)

    def sign(self, text: str) -> str:
        """``text`` (ending in a newline) as a signed note with one signature."""
        signature = self.verifier.id + self.private.sign(text.encode())
        return f"{text}\n\u2014 {self.name} {base64.b64encode(signature).decode()}\n"


def _signer(name: str, seed: bytes) -> Signer:
    return Signer(name, Ed25519PrivateKey.from_private_bytes(seed))


def parse(text: str) -> Signer:
    if not text.startswith(PREFIX):
        raise LedgerKeyError(
            f"a ledger key starts with {PREFIX}; make one with `smartgov ledger keygen`"
        )
    parts = text[len(PREFIX) :].split("+", 2)
    if len(parts) != 3:
        raise LedgerKeyError("a ledger key reads PRIVATE+KEY+name+keyid+base64key")
    name, hex_id, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise LedgerKeyError("the ledger key is not valid base64") from None
    if not name or len(raw) != 33 or raw[:1] != ED25519:
        raise LedgerKeyError("the ledger key is not a named Ed25519 key")
    signer = _signer(name, raw[1:])
    if signer.verifier.id.hex() != hex_id.lower():
        raise LedgerKeyError("the ledger key's id does not match its name and key")
    return signer


def generate(name: str) -> str:
    """A new private key in text form."""
    if not name or any(c.isspace() or c == "+" for c in name):
        raise LedgerKeyError("the log's name may not be empty or hold spaces or '+'")
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    signer = _signer(name, seed)
    encoded = base64.b64encode(ED25519 + seed).decode()
    return f"{PREFIX}{name}+{signer.verifier.id.hex()}+{encoded}"


def from_settings(settings: Settings) -> Signer:
    """The configured key; development and tests derive one from the secret key (the
    settings refuse to start production without a real one)."""
    configured = settings.ledger_key.get_secret_value()
    if configured:
        return parse(configured)
    secret = settings.secret_key.get_secret_value().encode()
    seed = hmac.new(secret, b"smartgov ledger key", hashlib.sha256).digest()
    return _signer(DEVELOPMENT_NAME, seed)
