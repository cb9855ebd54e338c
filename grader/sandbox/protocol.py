"""Length-prefixed JSON messages over pipes (never pickle).

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON
(an object). Readers cap the length, so a peer cannot make the other side allocate
without bound, and reject ``NaN``/``Infinity`` (not JSON).

>>> import os
>>> r, w = os.pipe()
>>> write_frame(w, {"type": "ping", "n": 1})
>>> FrameReader(r).read(timeout=1.0)
{'n': 1, 'type': 'ping'}
>>> decode_frame(encode_frame({"a": [1, 2.5, None]}))
{'a': [1, 2.5, None]}
>>> os.close(r); os.close(w)

A frame written where student code ran (the child's result) is decoded with
:func:`decode_untrusted`: numbers JSON can write but the grader cannot use
(a 4000-digit integer, ``1e999``) and values nested deeper than the converter ever
produces become ``too_large`` markers, lone surrogates become U+FFFD, and anything
else malformed is a ProtocolError, never another exception:

>>> body = b'{"a": [1e999, %s, %s]}' % (b"7" * 10, b"7" * 4000)
>>> decode_untrusted(HEADER.pack(len(body)) + body)["a"]
[{'$marker': 'too_large', 'type': 'float'}, 7777777777, {'$marker': 'too_large', 'type': 'int'}]
"""

from __future__ import annotations

import json
import math
import os
import select
import struct
import time

HEADER = struct.Struct(">I")
DEFAULT_MAX_FRAME = 64 * 1024 * 1024

# Captured once: the worker uses these after student code ran in the same process,
# so later rebinding of json.dumps / json.loads by that code does not reach them.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True,
                            separators=(",", ":"))
_DECODER = json.JSONDecoder()


class ProtocolError(Exception):
    """A malformed, oversized or truncated frame."""


def _reject_constant(name: str):
    raise ProtocolError(f"{name} is not JSON")


_STRICT_DECODER = json.JSONDecoder(parse_constant=_reject_constant)

MAX_INT_DIGITS = 19  # the converter sends integers of up to 63 bits, floats beyond
MAX_UNTRUSTED_DEPTH = 48  # the converter's nesting limit (32) plus the result's envelope


def _too_large(kind: str) -> dict:
    """The marker of a value cut on the grader's side (convert is imported here, on
    first use, to keep the pool's start light)."""
    from calcgrade.grader.sandbox.convert import TOO_LARGE, marker

    return marker(TOO_LARGE, type=kind)


def _bounded_float(text: str):
    value = float(text)
    return value if math.isfinite(value) else _too_large("float")


def _bounded_int(text: str):
    if len(text.lstrip("-")) <= MAX_INT_DIGITS:
        return int(text)
    value = float(text)  # linear time, whatever the length
    return value if math.isfinite(value) else _too_large("int")


_UNTRUSTED_DECODER = json.JSONDecoder(parse_constant=_reject_constant,
                                      parse_float=_bounded_float, parse_int=_bounded_int)


def encode_frame(message: dict, max_size: int = DEFAULT_MAX_FRAME) -> bytes:
    """Header + JSON bytes of ``message``; ProtocolError when too large or not JSON."""
    try:
        body = _ENCODER.encode(message).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise ProtocolError(f"message is not plain JSON: {error}") from None
    if len(body) > max_size:
        raise ProtocolError(f"message of {len(body)} bytes exceeds {max_size}")
    return HEADER.pack(len(body)) + body


def decode_body(body: bytes) -> dict:
    """The JSON object in a frame body; ProtocolError otherwise."""
    try:
        message = _STRICT_DECODER.decode(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ProtocolError(f"frame is not valid JSON: {error}") from None
    if type(message) is not dict:
        raise ProtocolError("frame is not a JSON object")
    return message


def _frame_body(data: bytes, max_size: int) -> bytes:
    """The body of exactly one complete frame (no trailing bytes)."""
    if len(data) < HEADER.size:
        raise ProtocolError("truncated frame header")
    (size,) = HEADER.unpack_from(data)
    if size > max_size:
        raise ProtocolError(f"frame of {size} bytes exceeds {max_size}")
    if len(data) != HEADER.size + size:
        raise ProtocolError(f"frame announces {size} bytes but has {len(data) - HEADER.size}")
    return data[HEADER.size:]


def decode_frame(data: bytes, max_size: int = DEFAULT_MAX_FRAME) -> dict:
    """Decode exactly one complete frame (no trailing bytes)."""
    return decode_body(_frame_body(data, max_size))


def decode_untrusted(data: bytes, max_size: int = DEFAULT_MAX_FRAME,
                     max_depth: int = MAX_UNTRUSTED_DEPTH) -> dict:
    """Decode one complete frame that student code could have forged (module doc)."""
    body = bytes(_frame_body(data, max_size))
    try:
        message = _UNTRUSTED_DECODER.decode(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError, MemoryError) as error:
        raise ProtocolError(f"frame is not valid JSON: {error}") from None
    if type(message) is not dict:
        raise ProtocolError("frame is not a JSON object")
    return _tame(message, max_depth, b"\\ud" in body.lower())


def _clean(text: str) -> str:
    """Lone surrogates (valid in JSON escapes, not in UTF-8) replaced by U+FFFD."""
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def _tame(message: dict, max_depth: int, surrogates: bool) -> dict:
    """Cut containers nested deeper than ``max_depth``; repair lone surrogates (iterative)."""
    stack = [(message, 1)]
    while stack:
        container, depth = stack.pop()
        items = list(container.items()) if type(container) is dict else \
            list(enumerate(container))
        for key, value in items:
            if surrogates and type(key) is str:
                clean = _clean(key)
                if clean != key:
                    del container[key]
                    container[clean] = value
                    key = clean
            if type(value) in (dict, list):
                if depth >= max_depth:
                    container[key] = _too_large("nesting")
                else:
                    stack.append((value, depth + 1))
            elif surrogates and type(value) is str:
                container[key] = _clean(value)
    return message


def write_all(fd: int, data: bytes) -> None:
    """Write every byte to a (blocking) file descriptor."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def write_frame(fd: int, message: dict, max_size: int = DEFAULT_MAX_FRAME) -> None:
    """Encode and write one frame."""
    write_all(fd, encode_frame(message, max_size))


def read_exact(fd: int, buffer: bytearray) -> None:
    """Fill ``buffer`` from a blocking fd with no intermediate bytes objects.

    Used by the worker for student data, so that nothing it read survives in its
    heap once it zeroes the buffer (:func:`wipe`). EOFError if the pipe closes early.
    """
    view = memoryview(buffer)
    filled = 0
    while filled < len(buffer):
        count = os.readv(fd, [view[filled:]])
        if count == 0:
            raise EOFError("pipe closed")
        filled += count


def read_exact_frame(fd: int, max_size: int = DEFAULT_MAX_FRAME) -> bytearray:
    """The body of the next frame, read exactly (nothing beyond it is consumed)."""
    header = bytearray(HEADER.size)
    read_exact(fd, header)
    (size,) = HEADER.unpack(header)
    if size > max_size:
        raise ProtocolError(f"frame of {size} bytes exceeds {max_size}")
    body = bytearray(size)
    read_exact(fd, body)
    return body


def wipe(buffer) -> None:
    """Overwrite a writable buffer (bytearray or memoryview) with zeros in place."""
    view = memoryview(buffer)
    view[:] = bytes(len(view))


def write_chunks(fd: int, *chunks) -> None:
    """Write raw chunks, each preceded by its 4-byte length (views are not copied).

    A chunk given as a tuple of buffers is sent as their concatenation.
    """
    for chunk in chunks:
        parts = chunk if isinstance(chunk, tuple) else (chunk,)
        write_all(fd, HEADER.pack(sum(len(part) for part in parts)))
        for part in parts:
            write_all(fd, part)


class FrameReader:
    """Reads frames from a file descriptor, with an optional timeout per frame.

    ``read`` raises ``TimeoutError`` when the deadline passes (partial data is kept for
    the next call), ``EOFError`` when the peer closed the pipe between frames, and
    ProtocolError on garbage, oversized or truncated frames.
    """

    def __init__(self, fd: int, max_size: int = DEFAULT_MAX_FRAME):
        self.fd = fd
        self.max_size = max_size
        self._buffer = bytearray()

    def _frame_ready(self) -> dict | None:
        if len(self._buffer) < HEADER.size:
            return None
        (size,) = HEADER.unpack_from(self._buffer)
        if size > self.max_size:
            raise ProtocolError(f"frame of {size} bytes exceeds {self.max_size}")
        end = HEADER.size + size
        if len(self._buffer) < end:
            return None
        body = bytes(self._buffer[HEADER.size:end])
        del self._buffer[:end]
        return decode_body(body)

    def _chunk_ready(self) -> bytes | None:
        if len(self._buffer) < HEADER.size:
            return None
        (size,) = HEADER.unpack_from(self._buffer)
        if size > self.max_size:
            raise ProtocolError(f"chunk of {size} bytes exceeds {self.max_size}")
        end = HEADER.size + size
        if len(self._buffer) < end:
            return None
        chunk = bytes(self._buffer[HEADER.size:end])
        del self._buffer[:end]
        return chunk

    def read(self, timeout: float | None = None) -> dict:
        """The next frame as a JSON object."""
        return self._next(self._frame_ready, timeout)

    def read_chunk(self, timeout: float | None = None) -> bytes:
        """The next raw length-prefixed chunk (see :func:`write_chunks`)."""
        return self._next(self._chunk_ready, timeout)

    def _next(self, ready, timeout):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            message = ready()
            if message is not None:
                return message
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no complete frame before the deadline")
                readable, _, _ = select.select([self.fd], [], [], left)
                if not readable:
                    continue
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                if self._buffer:
                    raise ProtocolError("pipe closed in the middle of a frame")
                raise EOFError("pipe closed")
            self._buffer += chunk
