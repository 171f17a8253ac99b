"""The RFC 9162 tree over stored nodes: which nodes a proof needs, and the new nodes
an append creates.

The store keeps every complete subtree: node (level, index) is the hash of entries
[index * 2^level, (index + 1) * 2^level). Any range a proof names is a handful of
those, so a proof is one read of about 2 log2(n) stored hashes, whatever the size
of the log."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from smartgov.ledger.verify import EMPTY_ROOT, node_hash

Node = tuple[int, int]  # (level, index)
Range = tuple[int, int]  # entries [start, end)


#: Bits of a node's stored key that hold its index; the level sits above them.
INDEX_BITS = 48


def key(node: Node) -> int:
    return (node[0] << INDEX_BITS) | node[1]


def node_of(stored: int) -> Node:
    return stored >> INDEX_BITS, stored & ((1 << INDEX_BITS) - 1)


def _split(size: int) -> int:
    """The largest power of two below ``size`` (RFC 9162's k), for size > 1."""
    return 1 << ((size - 1).bit_length() - 1)


def blocks(start: int, end: int) -> list[Node]:
    """The complete subtrees that make up [start, end), left to right."""
    out: list[Node] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while (1 << level) > end - start:
            level -= 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes form the inclusion proof of ``index``, leaf side first."""
    path: list[Range] = []
    low, high = 0, size
    while high - low > 1:
        k = _split(high - low)
        if index < low + k:
            path.append((low + k, high))
            high = low + k
        else:
            path.append((low, low + k))
            low += k
    return path[::-1]


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The ranges of the consistency proof from ``first`` to ``second`` entries
    (RFC 9162 2.1.4.1, SUBPROOF unrolled), in proof order."""
    path: list[Range] = []
    low, high, m, whole = 0, second, first, True
    while True:
        n = high - low
        if m == n:
            if not whole:
                path.append((low, high))
            break
        k = _split(n)
        if m <= k:
            path.append((low + k, high))
            high = low + k
        else:
            path.append((low, low + k))
            low, m, whole = low + k, m - k, False
    return path[::-1]


def needed(ranges: Iterable[Range]) -> set[Node]:
    return {node for start, end in ranges for node in blocks(start, end)}


def range_hash(start: int, end: int, nodes: Mapping[Node, bytes]) -> bytes:
    """The hash of the subtree [start, end): its blocks folded from the right."""
    parts = blocks(start, end)
    if not parts:
        return EMPTY_ROOT
    value = nodes[parts[-1]]
    for node in reversed(parts[:-1]):
        value = node_hash(nodes[node], value)
    return value


def frontier(size: int) -> list[Node]:
    """The complete subtrees of the first ``size`` entries: what an append builds on."""
    return blocks(0, size)


def extend(
    start: int, leaves: Sequence[bytes], known: Callable[[Node], bytes], keep_from: int = 0
) -> list[tuple[int, int, bytes]]:
    """Every node completed by appending ``leaves`` at ``start`` from level
    ``keep_from`` up (0: leaves included), level by level and left to right within a
    level. ``known`` gives the hashes of the frontier of the first ``start`` entries."""
    out: list[tuple[int, int, bytes]] = []
    level, first, row = 0, start, list(leaves)
    while row:
        if level >= keep_from:
            out.extend((level, first + offset, value) for offset, value in enumerate(row))
        if first & 1:  # the run starts with a right child: its left sibling is older
            row.insert(0, known((level, first - 1)))
            first -= 1
        # One pass per level over the whole batch: far cheaper than climbing per leaf.
        # A last node without a right sibling completes nothing yet (strict=False).
        row = [node_hash(a, b) for a, b in zip(row[::2], row[1::2], strict=False)]
        level, first = level + 1, first >> 1
    return out
