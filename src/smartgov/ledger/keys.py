"""The log's Ed25519 signing key, written as the Go note package writes it
(`PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>`), so keys move between smartgov
and the transparency-dev tools."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from smartgov.core.settings import Settings
from smartgov.ledger.verify import (
    COSIGNATURE,
    ED25519,
    PrivateKey,
    VerificationError,
    VerifierKey,
)

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
        return PrivateKey(self.name, self.private).verifier

    def sign(self, text: str) -> str:
        """``text`` (ending in a newline) as a signed note with one signature."""
        signature = self.verifier.id + self.private.sign(text.encode())
        return f"{text}\n\u2014 {self.name} {base64.b64encode(signature).decode()}\n"


def _signer(name: str, seed: bytes) -> Signer:
    return Signer(name, Ed25519PrivateKey.from_private_bytes(seed))


def parse(text: str) -> Signer:
    try:
        key = PrivateKey.parse(text)
    except VerificationError as exc:
        raise LedgerKeyError(str(exc)) from None
    if key.kind != ED25519:
        raise LedgerKeyError(
            "that is a witness's key; the log signs with a key made without --witness"
        )
    return Signer(key.name, key.private)


def generate(name: str, *, witness: bool = False) -> str:
    """A new private key in text form: the log's, or a witness's cosigning key."""
    if not name or any(c.isspace() or c == "+" for c in name):
        raise LedgerKeyError("the log's name may not be empty or hold spaces or '+'")
    kind = COSIGNATURE if witness else ED25519
    return str(PrivateKey(name, Ed25519PrivateKey.generate(), kind))


def from_settings(settings: Settings) -> Signer:
    """The configured key; development and tests derive one from the secret key (the
    settings refuse to start production without a real one)."""
    configured = settings.ledger_key.get_secret_value()
    if configured:
        return parse(configured)
    secret = settings.secret_key.get_secret_value().encode()
    seed = hmac.new(secret, b"smartgov ledger key", hashlib.sha256).digest()
    return _signer(DEVELOPMENT_NAME, seed)
