"""The transparency-dev RFC 6962 test vectors: 196 inclusion and consistency proofs,
valid ones accepted and every broken one refused."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from smartgov.ledger.verify import VerificationError, verify_consistency, verify_inclusion


def _vectors() -> Path:
    """`shared/data/rfc6962` beside the checkout or above it; SMARTGOV_SHARED_DIR wins."""
    if os.environ.get("SMARTGOV_SHARED_DIR"):
        return Path(os.environ["SMARTGOV_SHARED_DIR"]) / "data" / "rfc6962"
    here = Path(__file__).resolve()
    for folder in here.parents:
        if (folder / "shared" / "data" / "rfc6962").is_dir():
            return folder / "shared" / "data" / "rfc6962"
    return here.parents[3] / "shared" / "data" / "rfc6962"


VECTORS = _vectors()
FILES = sorted(VECTORS.rglob("*.json")) if VECTORS.is_dir() else []
MISSING = f"the RFC 6962 vectors are not at {VECTORS}; set SMARTGOV_SHARED_DIR to the shared folder"
if not FILES and os.environ.get("CI") == "true":
    # Under CI a missing folder is a fault of the set-up, not a reason to pass.
    raise RuntimeError(f"CI=true and {MISSING}")
pytestmark = pytest.mark.skipif(not FILES, reason=MISSING)


def b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def check(vector: dict[str, Any]) -> None:
    proof = [b64(p) for p in vector["proof"] or []]
    if "leafIdx" in vector:
        verify_inclusion(
            vector["leafIdx"],
            vector["treeSize"],
            b64(vector["leafHash"]),
            proof,
            b64(vector["root"]),
        )
    else:
        verify_consistency(
            vector["size1"], vector["size2"], b64(vector["root1"]), b64(vector["root2"]), proof
        )


def test_all_196_vectors_are_there() -> None:
    assert len(FILES) == 196


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(VECTORS)))
def test_it_agrees_with_the_vector(path: Path) -> None:
    vector = json.loads(path.read_text())
    if vector["wantErr"]:
        with pytest.raises(VerificationError):
            check(vector)
    else:
        check(vector)
