"""Registration points: the implementations of one Protocol, found by the name a
setting or a stored record gives, never by an if-chain. The built-in ones register
like a city's own: provider kinds (``exchange.providers.KINDS``), notification
channels (``cases.notify.CHANNELS``), and the assistant's models when it lands."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Unknown(LookupError):
    """Nothing is registered under the name; the message lists what is."""


class Plugins(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what  # "provider kind": how messages name one
        self._found: dict[str, T] = {}

    def register(self, name: str, item: T) -> None:
        """Make ``item`` available as ``name`` (a name registered again is replaced)."""
        self._found[name] = item

    def unregister(self, name: str) -> None:
        self._found.pop(name, None)

    def get(self, name: str) -> T:
        try:
            return self._found[name]
        except KeyError:
            known = ", ".join(sorted(self._found)) or "none"
            raise Unknown(
                f"no {self.what} is registered as {name!r} (registered: {known})"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._found)

    def __contains__(self, name: object) -> bool:
        return name in self._found
