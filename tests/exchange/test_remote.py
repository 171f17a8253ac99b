"""Two smartgov nodes: a consumer with its own database reads a dataset that the
served node (the live test server) provides, both ends signed and both ends logged."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from smartgov.core import migrate
from smartgov.core.clock import now
from smartgov.core.db import make_engine, make_sessionmaker, transaction
from smartgov.core.settings import Settings
from smartgov.demo import city, fields
from smartgov.exchange import grants, remote, sources
from smartgov.exchange import service as exchange
from smartgov.exchange.schemas import DatasetIn, GrantIn
from smartgov.ledger import service as ledger
from tests.conftest import grant_service

PURPOSE = "decision:remote-test"


@pytest.fixture(scope="module")
def consumer(
    tmp_path_factory: pytest.TempPathFactory,
    settings: Settings,
    factory: sessionmaker[Session],
    server: str,
) -> Iterator[tuple[Settings, sessionmaker[Session]]]:
    """A second node: its own SQLite database and key; the served node knows its key and
    grants it one field for one purpose."""
    mine = Settings(
        environment="test", data_dir=tmp_path_factory.mktemp("consumer"),
        secret_key="consumer-node-secret-key-long-enough-0000", exchange_node="consumer.test",
        exchange_peers={settings.exchange_node: remote.public_text(remote.node_key(settings))},
    )  # fmt: skip
    settings.exchange_peers["consumer.test"] = remote.public_text(remote.node_key(mine))
    with transaction(factory) as session:
        grants.create(
            session,
            GrantIn(consumer_kind="node", consumer="consumer.test", dataset="taxation.people",
                    fields=["monthly_income"], purpose=PURPOSE, legal_basis="test",
                    expires_at=now() + timedelta(days=1)),
            actor=None,
        )  # fmt: skip
    engine = make_engine(mine)
    migrate.upgrade(engine)
    local = make_sessionmaker(engine)
    with transaction(local) as session:
        city.seed_organisation(session)
        spec = DatasetIn.model_validate({
            "code": "taxation.people", "department": "taxation", "unit": "person",
            "title": {"zh": "税务", "en": "Taxation"},
            "description": {"zh": "远程", "en": "Remote"},
            "frequency": "daily",
            "fields": [{"name": "monthly_income", "type": "number", "sensitivity": "sensitive",
                        "label": {"zh": "月收入", "en": "Monthly income"}}],
            "provider": {"kind": "http", "url": server, "peer": settings.exchange_node,
                         "dataset": "taxation.people"},
        })  # fmt: skip
        # An administrator's allow-list names the peer's address first.
        sources.declare(session, kind="http", name="taxation.people", department="taxation",
                        url=server, actor=None)  # fmt: skip
        exchange.register_dataset(session, mine, spec, actor=None)
        grant_service(
            session, service="remote-test", unit="person", fields=["monthly_income"],
            purpose=PURPOSE, legal_basis="test",
        )  # fmt: skip
    yield mine, local
    settings.exchange_peers.pop("consumer.test", None)
    engine.dispose()


def _read(node: Settings, local: sessionmaker[Session], person: int) -> exchange.Fetched:
    with transaction(local) as session:
        return exchange.fetch(
            session, node, consumer=exchange.Consumer.service("remote-test"),
            subject=exchange.Subject("person", person), fields=["monthly_income"], purpose=PURPOSE,
        )  # fmt: skip


def test_it_reads_from_a_peer_and_both_nodes_log_it(
    consumer: tuple[Settings, sessionmaker[Session]], factory: sessionmaker[Session]
) -> None:
    node, local = consumer
    with transaction(factory) as session:
        served_before = ledger.size(session)
        expected = fields.subject_facts(session, "person", 3)
    got = _read(node, local, 3)
    assert expected is not None and got.values == {"monthly_income": expected["monthly_income"]}
    with transaction(factory) as session:  # the served node logged the node's read
        entry = ledger.entries(session, served_before, ledger.size(session))[-1]
        assert '"consumer":"node:consumer.test"' in entry.body and PURPOSE in entry.body
    with transaction(local) as session:  # and so did the consumer, for its own reasons
        assert ledger.entry(session, got.seq) is not None


def test_it_refuses_an_unknown_subject_a_stranger_and_a_forged_answer(
    consumer: tuple[Settings, sessionmaker[Session]],
) -> None:
    node, local = consumer
    with pytest.raises(exchange.Refused) as unknown:
        _read(node, local, 10**8)
    assert unknown.value.status == 404
    stranger = node.model_copy(update={"exchange_node": "stranger.test"})
    with pytest.raises(exchange.Refused) as refused:
        _read(stranger, local, 3)
    assert refused.value.status == 502 and refused.value.message == "The peer refused the read."
    other_key = remote.public_text(remote.node_key(stranger.model_copy(
        update={"secret_key": SecretStr("some-other-secret-key-long-enough-00000")})))  # fmt: skip
    forged = node.model_copy(update={"exchange_peers": {"smartgov.localhost": other_key}})
    with pytest.raises(exchange.Refused) as unsigned:
        _read(forged, local, 3)
    assert unsigned.value.message == "The peer's answer is not signed by the peer."


def test_it_refuses_a_replayed_or_stale_request(
    consumer: tuple[Settings, sessionmaker[Session]], server: str
) -> None:
    node, _local = consumer
    body = json.dumps(
        {"dataset": "taxation.people", "key": 3, "fields": ["monthly_income"], "purpose": PURPOSE}
    ).encode()

    def signed(stamp: float, nonce: str) -> dict[str, str]:
        text = f"{stamp:.3f}"
        message = remote._message("request", node.exchange_node, text, nonce, body)
        signature = remote.base64.b64encode(remote.node_key(node).sign(message)).decode()
        return {remote.NODE: node.exchange_node, remote.TIME: text, remote.NONCE: nonce,
                remote.SIGNATURE: signature}  # fmt: skip

    headers = signed(time.time(), "n" * 20 + str(time.time()))
    first = httpx.post(server + remote.PATH, content=body, headers=headers)
    assert first.status_code == 200
    again = httpx.post(server + remote.PATH, content=body, headers=headers)
    assert again.status_code == 401 and "already" in again.json()["error"]["message"]
    stale = httpx.post(
        server + remote.PATH, content=body, headers=signed(time.time() - 600, "s" * 24)
    )
    assert stale.status_code == 401 and "time" in stale.json()["error"]["message"]
    tampered = httpx.post(server + remote.PATH, content=body.replace(b"3", b"4", 1),
                          headers=signed(time.time(), "t" * 24))  # fmt: skip
    assert tampered.status_code == 401


def test_it_refuses_a_peer_key_that_is_not_a_key() -> None:
    with pytest.raises(ValueError, match="exchange_peers"):
        Settings(environment="test", exchange_peers={"x": "bm90IGEga2V5"})
