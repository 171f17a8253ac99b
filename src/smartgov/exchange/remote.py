"""Reading a dataset that another smartgov node serves, with both ends authenticated.

Like X-Road's security servers, each node signs what it sends with its own Ed25519
key and checks what it receives against the keys of the peers it knows
(``SMARTGOV_EXCHANGE_PEERS``). A request carries the node's name, the time and a
nonce; the response's signature covers that nonce, so neither can be replayed or
answered by anyone but the peer asked. TLS still protects the channel."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from smartgov.core.errors import DomainError, NotAuthenticated
from smartgov.core.i18n import N_
from smartgov.core.settings import Settings

PATH = "/api/v1/exchange/provide"
SKEW = 60  # seconds a request stays valid; clocks must agree this closely
NODE, TIME, NONCE, SIGNATURE = (
    "x-smartgov-node", "x-smartgov-time", "x-smartgov-nonce", "x-smartgov-signature",
)  # fmt: skip


class RemoteError(DomainError):
    """The peer could not be reached, refused, or answered without a valid signature."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message, [], 502, "remote")
        self.detail = detail


def node_key(settings: Settings) -> Ed25519PrivateKey:
    """This node's key: the setting, or outside production one derived from the secret key."""
    text = settings.exchange_key.get_secret_value()
    if text:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text))
    secret = settings.secret_key.get_secret_value().encode()
    return Ed25519PrivateKey.from_private_bytes(
        hmac.new(secret, b"smartgov exchange node key", hashlib.sha256).digest()
    )


def public_text(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes_raw()).decode()


def generate() -> tuple[str, str]:
    """A new key pair: (private, for SMARTGOV_EXCHANGE_KEY; public, for the peers)."""
    key = Ed25519PrivateKey.generate()
    return base64.b64encode(key.private_bytes_raw()).decode(), public_text(key)


def _message(kind: str, node: str, stamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return f"smartgov-exchange/1\n{kind}\n{node}\n{stamp}\n{nonce}\n{digest}".encode()


def _peer_key(settings: Settings, name: str) -> Ed25519PublicKey | None:
    text = settings.exchange_peers.get(name)
    return None if text is None else Ed25519PublicKey.from_public_bytes(base64.b64decode(text))


def _verify(key: Ed25519PublicKey, signature: str, message: bytes) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


class Nonces:
    """Nonces seen within the last two windows: a captured request cannot be replayed."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def fresh(self, nonce: str, at: float) -> bool:
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {n: t for n, t in self._seen.items() if t > at - 2 * SKEW}
            if nonce in self._seen:
                return False
            self._seen[nonce] = at
            return True


def authenticate(
    settings: Settings, nonces: Nonces, headers: Mapping[str, str], body: bytes
) -> str:
    """The name of the peer that signed this request, or NotAuthenticated."""
    node, stamp = headers.get(NODE, ""), headers.get(TIME, "")
    nonce, signature = headers.get(NONCE, ""), headers.get(SIGNATURE, "")
    key = _peer_key(settings, node)
    if key is None:
        raise NotAuthenticated(N_("This node is not a known peer."))
    try:
        sent = float(stamp)
    except ValueError:
        raise NotAuthenticated(N_("The request has no valid time.")) from None
    at = time.time()
    if abs(at - sent) > SKEW:
        raise NotAuthenticated(N_("The request's time is too far from ours."))
    if not _verify(key, signature, _message("request", node, stamp, nonce, body)):
        raise NotAuthenticated(N_("The request's signature does not verify."))
    if len(nonce) < 16 or not nonces.fresh(nonce, at):
        raise NotAuthenticated(N_("This request was already received."))
    return node


def sign_response(settings: Settings, nonce: str, body: bytes) -> dict[str, str]:
    key = node_key(settings)
    stamp = f"{time.time():.3f}"
    message = _message("response", settings.exchange_node, stamp, nonce, body)
    signature = base64.b64encode(key.sign(message)).decode()
    return {NODE: settings.exchange_node, TIME: stamp, NONCE: nonce, SIGNATURE: signature}


class HttpProvider:
    """A dataset served by a peer node; its reply is trusted only if the peer signed it."""

    _clients: dict[str, httpx.Client] = {}
    _lock = threading.Lock()

    def __init__(self, settings: Settings, *, url: str, peer: str, dataset: str) -> None:
        self.settings, self.url, self.peer, self.dataset = settings, url.rstrip("/"), peer, dataset

    def _client(self) -> httpx.Client:
        with self._lock:
            if self.url not in self._clients:
                self._clients[self.url] = httpx.Client(base_url=self.url, timeout=10.0)
            return self._clients[self.url]

    def read_many(
        self, session: Session, keys: Sequence[int], names: Sequence[str], purpose: str = ""
    ) -> dict[int, dict[str, Any]]:
        """One signed request per subject: a peer answers for one subject at a time."""
        found = {key: self.read(session, key, names, purpose) for key in keys}
        return {key: row for key, row in found.items() if row is not None}

    def read(
        self, session: Session, key: int, names: Sequence[str], purpose: str = ""
    ) -> dict[str, Any] | None:
        peer_key = _peer_key(self.settings, self.peer)
        if peer_key is None:
            raise RemoteError(N_("The peer serving this dataset is not configured."), self.peer)
        body = json.dumps(
            {"dataset": self.dataset, "key": key, "fields": list(names), "purpose": purpose}
        ).encode()
        nonce, stamp = secrets.token_urlsafe(18), f"{time.time():.3f}"
        node = self.settings.exchange_node
        signature = node_key(self.settings).sign(_message("request", node, stamp, nonce, body))
        headers = {
            NODE: node, TIME: stamp, NONCE: nonce,
            SIGNATURE: base64.b64encode(signature).decode(), "content-type": "application/json",
        }  # fmt: skip
        try:
            reply = self._client().post(PATH, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise RemoteError(
                N_("The peer serving this dataset did not answer."), str(exc)
            ) from None
        answer = reply.headers
        message = _message(
            "response", answer.get(NODE, ""), answer.get(TIME, ""), nonce, reply.content
        )
        if answer.get(NODE) != self.peer or not _verify(
            peer_key, answer.get(SIGNATURE, ""), message
        ):
            raise RemoteError(N_("The peer's answer is not signed by the peer."), self.peer)
        if reply.status_code == 404:
            return None
        if reply.status_code != 200:
            raise RemoteError(N_("The peer refused the read."), reply.text[:500])
        values: dict[str, Any] = reply.json()["values"]
        return values
