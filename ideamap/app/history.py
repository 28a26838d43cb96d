"""Back/Forward over what the user looked at, like a browser. Plain Python so it is tested
without a window."""

from __future__ import annotations

from typing import Hashable


class History:
    """A list of visited places and a cursor into it.

    Visiting something new after going back drops the places ahead of the cursor, which is what
    users expect from every browser."""

    def __init__(self, limit: int = 200):
        self._items: list[Hashable] = []
        self._pos = -1
        self._limit = limit

    @property
    def current(self) -> Hashable | None:
        return self._items[self._pos] if self._pos >= 0 else None

    def visit(self, item: Hashable) -> None:
        if item == self.current:
            return  # clicking the same paragraph twice should not need two Backs
        del self._items[self._pos + 1 :]
        self._items.append(item)
        if len(self._items) > self._limit:
            del self._items[0]
        self._pos = len(self._items) - 1

    def can_back(self) -> bool:
        return self._pos > 0

    def can_forward(self) -> bool:
        return self._pos < len(self._items) - 1

    def back(self) -> Hashable | None:
        if not self.can_back():
            return None
        self._pos -= 1
        return self.current

    def forward(self) -> Hashable | None:
        if not self.can_forward():
            return None
        self._pos += 1
        return self.current

    def clear(self) -> None:
        self._items.clear()
        self._pos = -1
