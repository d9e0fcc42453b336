"""Frames written straight to the transport must be exactly what a WebSocket client reads."""

import functools

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from config.websocket import RawWriter, text_frame


def _parse(data: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        return done.value
    raise AssertionError("incomplete frame")


@pytest.mark.parametrize("length", [0, 1, 125, 126, 65_535, 65_536, 300_000])
def test_text_frames_of_every_length_class_parse_back(length):
    payload = ("é" * length).encode()[:length]
    frame = _parse(text_frame(payload))
    assert frame.opcode is Opcode.TEXT and frame.fin
    assert frame.data == payload


def test_raw_writing_only_for_daphne_sockets_without_compression():
    class Protocol:
        STATE_OPEN = 1
        state = 1
        transport = object()
        _perMessageCompress = None
        autoFragmentSize = 0
        maxMessagePayloadSize = 100

    async def server_send(protocol, message):
        return None

    writer = RawWriter.for_send(functools.partial(server_send, Protocol()))
    assert writer is not None and writer.usable()
    assert writer.fits(100) and not writer.fits(101)

    compressed = Protocol()
    compressed._perMessageCompress = object()
    assert RawWriter.for_send(functools.partial(server_send, compressed)) is None
    assert RawWriter.for_send(server_send) is None  # a test communicator's send
    assert RawWriter.for_send(None) is None

    closing = Protocol()
    closing.state = 2
    assert not RawWriter.for_send(functools.partial(server_send, closing)).usable()
