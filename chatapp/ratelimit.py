"""Per-key rate limits of the site's own actions (joins, sends, watches, searches): a
fixed window in the cache, counted as the websocket core counts its own limits
(connections, callbacks): chatapp/websocket/rates.py, where a batch counts its keys in
one round trip."""

from __future__ import annotations

from chatapp.websocket.rates import within_rate, within_rates

__all__ = ["within_rate", "within_rates"]
