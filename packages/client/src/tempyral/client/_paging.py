"""What the client's listing iterators share: fetch a page on demand, walk it, follow the token.

``WorkflowExecutionAsyncIterator``, ``WorkflowHistoryEventAsyncIterator`` and
``ScheduleAsyncIterator`` differ only in the RPC that fetches a page (``_fetch_page``); they make
no call until iterated and stop when the server sends no next page token.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from typing_extensions import Self

if TYPE_CHECKING:
    from tempyral.client._client import Client

__all__ = ["_PageIterator"]


class _PagedInput(Protocol):
    @property
    def next_page_token(self) -> bytes | None: ...


InputT = TypeVar("InputT", bound=_PagedInput)
EntryT = TypeVar("EntryT")


class _PageIterator(Generic[InputT, EntryT]):
    def __init__(self, client: Client, input: InputT) -> None:
        """Create the iterator; use the client or handle method that returns it instead."""
        self._client = client
        self._input = input
        self._next_page_token = input.next_page_token
        self._current_page: Sequence[EntryT] | None = None
        self._current_page_index = 0

    @property
    def current_page_index(self) -> int:
        """Index in the current page of the entry the next ``__anext__`` returns."""
        return self._current_page_index

    @property
    def current_page(self) -> Sequence[EntryT] | None:
        """The current page, once fetched."""
        return self._current_page

    @property
    def next_page_token(self) -> bytes | None:
        """Token of the next page, if there is one."""
        return self._next_page_token

    async def _fetch_page(self, page_size: int | None) -> tuple[Sequence[EntryT], bytes]:
        """One page from the server and the token of the one after it (empty at the end)."""
        raise NotImplementedError

    async def fetch_next_page(self, *, page_size: int | None = None) -> None:
        """Fetch the next page (``page_size`` overrides the iterator's)."""
        page, next_page_token = await self._fetch_page(page_size)
        self._current_page = page
        self._current_page_index = 0
        self._next_page_token = next_page_token or None

    def __aiter__(self) -> Self:
        """Return self."""
        return self

    async def __anext__(self) -> EntryT:
        """The next entry, fetching the next page when needed."""
        while self._current_page is None or self._current_page_index >= len(self._current_page):
            if self._current_page is not None and self._next_page_token is None:
                raise StopAsyncIteration
            await self.fetch_next_page()
        entry = self._current_page[self._current_page_index]
        self._current_page_index += 1
        return entry
