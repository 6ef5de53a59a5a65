"""Ids in API addresses as the socket takes them: decimal digits up to rooms.models.MAX_ID.
A larger number matches no address (the API's JSON 404) instead of overflowing a
database integer (SQLite raises for one beyond 64 bits)."""

from __future__ import annotations

from rooms.models import MAX_ID


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)
