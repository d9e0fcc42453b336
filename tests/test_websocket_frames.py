"""Frames written straight to the transport must be exactly what a WebSocket client reads."""

import functools

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from config.websocket import RawWriter, send_limit, text_frame


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
    # What the server's own send would refuse, for callers that cannot write raw frames.
    assert send_limit(functools.partial(server_send, Protocol())) == 100
    assert send_limit(server_send) == 0

    compressed = Protocol()
    compressed._perMessageCompress = object()
    assert RawWriter.for_send(functools.partial(server_send, compressed)) is None
    assert RawWriter.for_send(server_send) is None  # a test communicator's send
    assert RawWriter.for_send(None) is None

    closing = Protocol()
    closing.state = 2
    assert not RawWriter.for_send(functools.partial(server_send, closing)).usable()


class FakeTransport:
    """The parts of a Twisted TCP transport RawWriter looks at; the kernel takes `room`."""

    def __init__(self, room: int, tls: bool = False):
        self.TLS = tls
        self.connected = True
        self._writeDisconnected = False
        self._tempDataBuffer: list[bytes] = []
        self.dataBuffer = b""
        self.offset = 0
        self.room = room
        self.wire = b""  # what reached the socket

    def writeSomeData(self, data):  # Twisted's name
        taken = bytes(data[: self.room])
        self.room -= len(taken)
        self.wire += taken
        return len(taken)

    def write(self, data):
        self._tempDataBuffer.append(data)


def _writer(transport) -> RawWriter:
    class Protocol:
        STATE_OPEN = 1
        state = 1
        _perMessageCompress = None
        autoFragmentSize = 0

    protocol = Protocol()
    protocol.transport = transport

    async def server_send(protocol, message):
        return None

    return RawWriter.for_send(functools.partial(server_send, protocol))


def test_frames_go_straight_to_the_socket_when_nothing_is_queued():
    transport = FakeTransport(room=1000)
    _writer(transport).write(b"abc")
    assert transport.wire == b"abc" and transport._tempDataBuffer == []


def test_what_the_kernel_does_not_take_is_queued_and_later_frames_queue_behind_it():
    transport = FakeTransport(room=2)
    writer = _writer(transport)
    writer.write(b"abcd")
    transport.room = 10  # the socket drains, but Twisted still holds "cd"
    writer.write(b"ef")  # must not overtake it
    assert transport.wire == b"ab"
    assert transport._tempDataBuffer == [b"cd", b"ef"]


def test_tls_transports_always_queue_through_twisted():
    transport = FakeTransport(room=1000, tls=True)
    _writer(transport).write(b"abc")
    assert transport.wire == b"" and transport._tempDataBuffer == [b"abc"]


def test_unknown_transports_queue_through_their_own_write():
    class Plain:
        def __init__(self):
            self.written = []

        def write(self, data):
            self.written.append(data)

    transport = Plain()
    writer = _writer(transport)
    assert not writer.direct
    writer.write(b"abc")
    assert transport.written == [b"abc"]
