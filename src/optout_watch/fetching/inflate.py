"""A body's `Content-Encoding` undone a piece at a time, each piece about `PIECE` bytes.

httpx inflates each network chunk whole: 64 KiB of brotli can hold a gigabyte of zeros, and
`gzip, gzip` multiplies the ratios, so the byte cap, checked after each chunk, came too late.
Here every decoder yields its output in pieces of about `PIECE` bytes, lazily, and a stack
of encodings chains them: the reader stops at its cap, and what is held is the cap, one piece
per encoding and the decoders' own windows.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncGenerator, AsyncIterable, Iterator, Sequence
from typing import Protocol

import brotli  # type: ignore[import-untyped]
import httpx

#: The bytes one decoder hands on at a time: at most this for gzip and deflate; brotli may
#: go past it by the one block it is writing.
PIECE = 64 * 1024
#: The encodings this module undoes: what the fetcher's `Accept-Encoding` asks for.
ACCEPTED = ("gzip", "deflate", "br")
#: More encodings than this on one body is an attack, not a server's setup: each one costs a
#: decoder's window and a level of nesting.
MAX_CODINGS = 3


class _Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]:
        """The output `data` completes, in pieces of about `PIECE` bytes."""
        ...


class _Zlib:
    """gzip, or deflate: zlib-wrapped as the standard says, raw as some servers send it."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding == "gzip"
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                piece = self._inflater.decompress(data, PIECE)
            except zlib.error as error:
                if self._gzip or self._started:
                    raise httpx.DecodingError(f"invalid {self._name} body: {error}") from error
                # No zlib header in the first bytes: raw deflate, as httpx accepts it too.
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                self._started = True
                continue
            self._started = True
            if piece:
                yield piece
            data = self._inflater.unconsumed_tail
            # A full piece may leave output inside zlib even when the input is used up.
            if not data and len(piece) < PIECE:
                return

    @property
    def _name(self) -> str:
        return "gzip" if self._gzip else "deflate"


class _Brotli:
    def __init__(self) -> None:
        self._inflater = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            piece: bytes = self._inflater.process(data, output_buffer_limit=PIECE)
            # Output past the limit waits inside the decoder, even once it says it can take
            # more input: drain it with empty input, a piece at a time.
            while piece or not self._inflater.can_accept_more_data():
                if piece:
                    yield piece
                piece = self._inflater.process(b"", output_buffer_limit=PIECE)
        except brotli.error as error:
            raise httpx.DecodingError(f"invalid br body: {error}") from error


def _codings(header: str | None) -> list[str]:
    """The encodings named by a `Content-Encoding` header that this module undoes, in the
    order they were applied. Others (`identity`, unknown names) are passed through, as
    httpx does."""
    names = (name.strip().lower() for name in (header or "").split(","))
    return [name for name in names if name in ACCEPTED]


def _decoder(encoding: str) -> _Decoder:
    return _Brotli() if encoding == "br" else _Zlib(encoding)


def _through(decoders: Sequence[_Decoder], data: bytes) -> Iterator[bytes]:
    """`data` through every decoder in turn, each piece passed on before the next is made."""
    if not decoders:
        yield data
        return
    first, *rest = decoders
    for piece in first.feed(data):
        yield from _through(rest, piece)


async def inflate(
    raw: AsyncIterable[bytes], content_encoding: str | None
) -> AsyncGenerator[bytes, None]:
    """The decoded body of `raw` (the bytes as sent), in pieces of about `PIECE` bytes when
    it is encoded; raises `httpx.DecodingError` on a body that does not decode."""
    codings = _codings(content_encoding)
    if len(codings) > MAX_CODINGS:
        raise httpx.DecodingError(
            f"{len(codings)} content encodings on one body, more than {MAX_CODINGS}"
        )
    # The last encoding applied is the first to undo.
    decoders = [_decoder(name) for name in reversed(codings)]
    async for chunk in raw:
        for piece in _through(decoders, chunk):
            yield piece
