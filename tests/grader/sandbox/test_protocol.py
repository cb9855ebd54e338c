"""Length-prefixed JSON frames."""

from __future__ import annotations

import os
import threading

import pytest

from calcgrade.grader.sandbox.protocol import (HEADER, FrameReader, ProtocolError, decode_frame,
                                               encode_frame, write_frame)


@pytest.fixture
def pipe():
    read_end, write_end = os.pipe()
    yield read_end, write_end
    for fd in (read_end, write_end):
        try:
            os.close(fd)
        except OSError:
            pass


def test_frames_round_trip_in_order(pipe):
    read_end, write_end = pipe
    messages = [{"type": "a", "n": i, "text": "ü" * i} for i in range(5)]
    for message in messages:
        write_frame(write_end, message)
    reader = FrameReader(read_end)
    assert [reader.read(timeout=1) for _ in messages] == messages


def test_a_large_frame_arrives_whole_across_many_reads(pipe):
    read_end, write_end = pipe
    message = {"data": list(range(200_000))}
    writer = threading.Thread(target=write_frame, args=(write_end, message))
    writer.start()
    assert FrameReader(read_end).read(timeout=10) == message
    writer.join()


def test_timeout_keeps_partial_data_for_the_next_read(pipe):
    read_end, write_end = pipe
    data = encode_frame({"x": 1})
    os.write(write_end, data[:3])
    reader = FrameReader(read_end)
    with pytest.raises(TimeoutError):
        reader.read(timeout=0.05)
    os.write(write_end, data[3:])
    assert reader.read(timeout=1) == {"x": 1}


def test_eof_between_frames_and_inside_a_frame(pipe):
    read_end, write_end = pipe
    os.write(write_end, encode_frame({"x": 1})[:-1])
    os.close(write_end)
    with pytest.raises(ProtocolError, match="middle of a frame"):
        FrameReader(read_end).read(timeout=1)
    other_read, other_write = os.pipe()
    os.close(other_write)
    with pytest.raises(EOFError):
        FrameReader(other_read).read(timeout=1)
    os.close(other_read)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"x": NaN}', b'{"x": Infinity}',
                                  b"\xff\xfe", b'"just a string"'])
def test_garbage_is_a_protocol_error(body):
    with pytest.raises(ProtocolError):
        decode_frame(HEADER.pack(len(body)) + body)


def test_sizes_are_capped_on_both_sides(pipe):
    with pytest.raises(ProtocolError):
        encode_frame({"x": "y" * 100}, max_size=50)
    read_end, write_end = pipe
    os.write(write_end, HEADER.pack(10**9))
    with pytest.raises(ProtocolError, match="exceeds"):
        FrameReader(read_end, max_size=1000).read(timeout=1)
    with pytest.raises(ProtocolError, match="announces"):
        decode_frame(encode_frame({"x": 1}) + b"extra")


def test_only_plain_json_can_be_sent():
    with pytest.raises(ProtocolError):
        encode_frame({"x": float("nan")})
    with pytest.raises(ProtocolError):
        encode_frame({"x": object()})


def test_exact_reads_consume_one_frame_and_chunks_concatenate_parts(pipe):
    from calcgrade.grader.sandbox.protocol import read_exact_frame, wipe, write_chunks

    read_end, write_end = pipe
    os.write(write_end, encode_frame({"a": 1}) + encode_frame({"b": 2}))
    body = read_exact_frame(read_end)
    assert decode_frame(encode_frame({"a": 1}))["a"] == 1 and bytes(body) == b'{"a":1}'
    wipe(body)
    assert bytes(body) == bytes(len(body))
    write_chunks(write_end, b"xyz", (b"ab", memoryview(b"cd")))
    reader = FrameReader(read_end)
    assert reader.read(timeout=1) == {"b": 2}  # the second frame was left in the pipe
    assert reader.read_chunk(timeout=1) == b"xyz"
    assert reader.read_chunk(timeout=1) == b"abcd"
