"""Reading the findings register's marks out of HTML: the keys a page shows (``data-finding``)
and the counts it states (``data-count`` with ``data-where``). Shared by the tests of the page
pieces and the browser tests of the built book."""

from __future__ import annotations

from html.parser import HTMLParser


class Marks(HTMLParser):
    """The register keys (in the order shown) and counts a piece of HTML carries."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.keys: list[str] = []
        self.counts: dict[tuple[str, str], int] = {}
        self._count = None
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-finding" in attrs:
            self.keys.append(attrs["data-finding"])
        if "data-count" in attrs:
            self._count = (attrs["data-count"], attrs["data-where"])

    def handle_data(self, data):
        if self._count is not None:
            self.counts[self._count] = int(data.replace(",", ""))
            self._count = None
