"""Register decoding and read grouping, without a device."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge import codec
from edge.codec import ReadRequest, Span, decode_raw, encode_raw, group_reads

# 0x41F47AE1 is 30.56 as float32 (the example of Vaisala's manual).
FLOAT_3056 = {
    "ABCD": [0x41F4, 0x7AE1],
    "CDAB": [0x7AE1, 0x41F4],
    "BADC": [0xF441, 0xE17A],
    "DCBA": [0xE17A, 0xF441],
}


@pytest.mark.parametrize(("order", "registers"), FLOAT_3056.items())
def test_float32_decodes_in_every_byte_order(order: str, registers: list[int]) -> None:
    assert decode_raw(registers, "float32", order) == pytest.approx(30.56, abs=1e-5)


@pytest.mark.parametrize(
    ("order", "registers", "expected"),
    [
        ("ABCD", [0x0001, 0x0002], 0x00010002),
        ("CDAB", [0x0002, 0x0001], 0x00010002),
        ("BADC", [0x0100, 0x0200], 0x00010002),
        ("DCBA", [0x0200, 0x0100], 0x00010002),
    ],
)
def test_uint32_decodes_in_every_byte_order(
    order: str, registers: list[int], expected: int
) -> None:
    assert decode_raw(registers, "uint32", order) == expected


def test_negative_int16_is_twos_complement() -> None:
    assert decode_raw([0xFF9C], "int16", "ABCD") == -100
    assert decode_raw([0xFF9C], "uint16", "ABCD") == 0xFF9C


def test_16_bit_values_read_byte_swapped_for_dcba_and_badc() -> None:
    assert decode_raw([0x9CFF], "int16", "DCBA") == -100
    assert decode_raw([0x9CFF], "int16", "BADC") == -100
    assert decode_raw([0xFF9C], "int16", "CDAB") == -100


def test_int32_negative() -> None:
    assert decode_raw([0xFFFF, 0xFFFE], "int32", "ABCD") == -2
    assert decode_raw([0xFFFE, 0xFFFF], "int32", "CDAB") == -2


def test_wrong_register_count_is_refused() -> None:
    with pytest.raises(ValueError, match="float32 needs 2 registers"):
        decode_raw([1], "float32", "ABCD")


@given(
    st.sampled_from(sorted(codec.TYPES)),
    st.sampled_from(codec.BYTE_ORDERS),
    st.integers(min_value=-(2**31), max_value=2**32 - 1),
)
def test_encode_is_the_inverse_of_decode(data_type: str, order: str, number: int) -> None:
    low, high = codec.raw_limits(data_type)
    number = int(min(max(number, low), high))
    if data_type == "float32":
        number = struct.unpack(">f", struct.pack(">f", number))[0]
    registers = encode_raw(number, data_type, order)
    assert len(registers) == codec.register_count(data_type)
    assert decode_raw(registers, data_type, order) == number


def test_adjacent_registers_of_one_kind_become_one_read() -> None:
    spans = [Span("input", 2, 1), Span("input", 1, 1)]
    assert group_reads(spans) == [ReadRequest("input", 1, 2, (1, 0))]


def test_kinds_are_never_mixed_and_input_comes_first() -> None:
    spans = [Span("holding", 0, 2), Span("input", 0, 1)]
    assert group_reads(spans) == [
        ReadRequest("input", 0, 1, (1,)),
        ReadRequest("holding", 0, 2, (0,)),
    ]


def test_a_hole_splits_the_read_unless_max_gap_allows_it() -> None:
    spans = [Span("holding", 0, 2), Span("holding", 2, 2), Span("holding", 6, 2)]
    assert [(r.address, r.count) for r in group_reads(spans)] == [(0, 4), (6, 2)]
    assert group_reads(spans, max_gap=2) == [ReadRequest("holding", 0, 8, (0, 1, 2))]


def test_reads_never_exceed_the_register_limit() -> None:
    spans = [Span("holding", i * 2, 2) for i in range(100)]
    requests = group_reads(spans)
    assert [r.count for r in requests] == [124, 76]
    assert sorted(m for r in requests for m in r.members) == list(range(100))


def test_a_request_slices_out_its_members() -> None:
    request = ReadRequest("holding", 10, 4, (0, 1))
    assert request.slice([1, 2, 3, 4], Span("holding", 12, 2)) == [3, 4]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["input", "holding"]), st.integers(0, 300), st.sampled_from([1, 2])
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 10),
    st.integers(2, 125),
)
def test_grouping_covers_every_span_exactly_once(
    raw: list[tuple[str, int, int]], max_gap: int, max_count: int
) -> None:
    spans = [Span(*item) for item in raw]
    requests = group_reads(spans, max_gap, max_count)
    members = sorted(m for r in requests for m in r.members)
    assert members == list(range(len(spans)))
    for request in requests:
        assert request.count <= max_count
        for index in request.members:
            span = spans[index]
            assert span.kind == request.kind
            assert request.address <= span.address and span.end <= request.address + request.count
