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


# --- frames that student code could have forged --------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from calcgrade.grader.sandbox.protocol import decode_untrusted  # noqa: E402


def _frame(body: bytes) -> bytes:
    return HEADER.pack(len(body)) + body


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63 + 1, 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=4),
    max_leaves=30)


@given(st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=5))
def test_what_the_child_really_sends_decodes_unchanged(message):
    assert decode_untrusted(encode_frame(message)) == message


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_a_protocol_error_or_a_dict(data):
    try:
        assert type(decode_untrusted(_frame(data))) is dict
    except ProtocolError:
        pass


@pytest.mark.parametrize("digits", [20, 400, 4000, 5000, 100_000])
def test_huge_integers_become_floats_or_markers(digits):
    message = decode_untrusted(_frame(b'{"x": -%s}' % (b"9" * digits)))
    if digits <= 308:
        assert message["x"] == -float("9" * digits)
    else:
        assert message["x"] == {"$marker": "too_large", "type": "int"}


def test_overflowing_floats_become_markers():
    assert decode_untrusted(_frame(b'{"x": [1e999, -1e999, 1.5e3]}'))["x"] == [
        {"$marker": "too_large", "type": "float"}, {"$marker": "too_large", "type": "float"},
        1500.0]


@pytest.mark.parametrize("depth", [47, 48, 200, 900])
def test_deep_nesting_is_cut_to_a_marker(depth):
    message = decode_untrusted(_frame(b'{"x": ' + b"[" * depth + b"]" * depth + b"}"))
    level, value = 1, message["x"]
    while type(value) is list and value:
        level, value = level + 1, value[0]
    if depth < 48:
        assert value == [] and level == depth
    else:
        assert value == {"$marker": "too_large", "type": "nesting"} and level == 48


def test_nesting_beyond_the_decoders_recursion_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="not valid JSON"):
        decode_untrusted(_frame(b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"))


def test_lone_surrogates_are_replaced():
    message = decode_untrusted(_frame(b'{"k\\udc80": "a\\ud800b", "ok": "\\ud83d\\ude00"}'))
    assert message == {"k\ufffd": "a\ufffdb", "ok": "\U0001F600"}
    assert encode_frame(message)  # now valid UTF-8 everywhere
