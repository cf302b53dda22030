"""JSON for requests stored in Redis: never pickle (a shared Redis must not run code).

Used as scrapy-redis' SCHEDULER_SERIALIZER (a module with ``dumps`` and ``loads``). Bytes
(headers, bodies) are kept as ``{"$b64": "..."}``; anything else that is not plain JSON
(a set, an object in ``meta``) is refused with a TypeError rather than stored half-way.
"""

from __future__ import annotations

import base64
import json
from typing import Any

BYTES_KEY = "$b64"


def _encode(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {BYTES_KEY: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {
            str(k.decode("latin-1") if isinstance(k, bytes) else k): _encode(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in the shared queue: {value!r}")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and BYTES_KEY in value:
            return base64.b64decode(value[BYTES_KEY])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def dumps(obj: dict[str, Any]) -> str:
    """A request dict (Request.to_dict) as JSON text."""
    return json.dumps(_encode(obj), ensure_ascii=False, separators=(",", ":"))


def loads(data: str | bytes) -> dict[str, Any]:
    """The request dict back from dumps()."""
    decoded = _decode(json.loads(data))
    if not isinstance(decoded, dict):
        raise ValueError("a stored request must be a JSON object")
    return decoded
