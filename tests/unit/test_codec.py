"""Register decoding and read grouping, without a device: the properties (encode inverts
decode, grouping covers every span once) and the cases that do not fit a folder; the
decoding and grouping examples are in tests/unit/codec_cases/."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from edge import codec
from edge.codec import ReadRequest, Span, decode_raw, encode_raw, group_reads


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
