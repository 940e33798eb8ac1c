"""The register codec, driven by the cases in tests/unit/codec_cases/<case>/: registers, a
type and a byte order, and the value or the refusal expected; or register spans and the
grouped reads expected. See the folder's README."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from edge.codec import ReadRequest, Span, decode_raw, group_reads

CASES = Path(__file__).parent / "codec_cases"
FOLDERS = sorted(p for p in CASES.iterdir() if p.is_dir())


def read(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def check_decoding(inputs: dict[str, Any], expected: dict[str, Any]) -> None:
    def run() -> float | int:
        return decode_raw(inputs["registers"], inputs["type"], inputs["byte_order"])

    if "error" in expected:
        with pytest.raises(ValueError) as error:
            run()
        assert expected["error"] in str(error.value)
        return
    tolerance = expected.get("tolerance")
    want = expected["value"]
    assert run() == (want if tolerance is None else pytest.approx(want, abs=tolerance))


def check_grouping(inputs: dict[str, Any], expected: dict[str, Any]) -> None:
    spans = [Span(kind, address, count) for kind, address, count in inputs["spans"]]
    options = {k: inputs[k] for k in ("max_gap", "max_count") if k in inputs}
    wanted = [ReadRequest(kind, address, count, tuple(members))
              for kind, address, count, members in expected["reads"]]
    assert group_reads(spans, **options) == wanted


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_codec_case(folder: Path) -> None:
    inputs, expected = read(folder / "input.yaml"), read(folder / "expected.yaml")
    if "spans" in inputs:
        check_grouping(inputs, expected)
    else:
        check_decoding(inputs, expected)


def test_there_are_cases_of_each_kind() -> None:
    inputs = [read(folder / "input.yaml") for folder in FOLDERS]
    assert sum("spans" in i for i in inputs) >= 4
    assert sum("registers" in i for i in inputs) >= 15
