"""Pieces of the worker that can be checked without starting one."""

from __future__ import annotations

import os

from calcgrade.grader.sandbox.worker import _Collector


def test_the_output_tail_keeps_the_last_bytes_in_order():
    collector = _Collector(bytearray(64), result_bytes=100, tail_bytes=10)
    read_end, write_end = os.pipe()
    written = b""
    for piece in (b"abc", b"defghij", b"klmnopqrstuvwxyz", b"", b"0123", b"4"):
        if piece:
            os.write(write_end, piece)
            collector.read_output(read_end)
            written += piece
    assert b"".join(bytes(v) for v in collector.tail_views()) == written[-10:]
    assert collector.output_bytes == len(written)
    os.write(write_end, b"x" * 30)
    collector.read_result(read_end)
    assert bytes(collector.result_view()) == b"x" * 30
    collector.wipe()
    assert not any(collector.ring) and not any(collector.result)
    os.close(read_end)
    os.close(write_end)


def test_a_result_larger_than_the_cap_is_flagged_not_kept():
    collector = _Collector(bytearray(64), result_bytes=10, tail_bytes=10)
    read_end, write_end = os.pipe()
    os.write(write_end, b"y" * 60)
    collector.read_result(read_end)
    assert collector.result_overflow and collector.result_used == 0
    os.close(read_end)
    os.close(write_end)
