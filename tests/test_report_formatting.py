"""The report's formatters: numbers, temperatures, differences, code blocks and table cells."""

from __future__ import annotations

import pytest

from benchmarks.report import formatting as fmt


@pytest.mark.parametrize(
    ("show", "value", "expected"),
    [
        (fmt.bpc, 2.1234, "2.123"),
        (fmt.bpc, float("nan"), "—"),
        (fmt.bpc, None, "—"),
        (fmt.bpc, -0.0001, "0.000"),
        (fmt.perplexity, 12345.67, "12,345.7"),
        (fmt.perplexity, float("inf"), "—"),
        (fmt.perplexity, 3.2e9, "3.20e+09"),
        (fmt.speed, 12345.6, "12,346"),
        (fmt.speed, 41.26, "41.3"),
        (fmt.count, 1234567, "1,234,567"),
        (fmt.tally, 56.0, "56"),
        (fmt.tally, 9.666, "9.7"),
        (fmt.tally, 1234.25, "1,234.2"),
        (fmt.tally, None, "—"),
        (fmt.mebibytes, 905969664, "864"),
        (fmt.temperature, 0.0, "T=0 (greedy)"),
        (fmt.temperature, 1.0, "T=1"),
        (fmt.rate, True, "—"),
    ],
)
def test_formatters(show, value, expected):
    assert show(value) == expected


def test_delta_signs_and_percentages():
    assert fmt.delta(3.412, 3.5, fmt.bpc) == ("-0.088", "-2.5%")
    assert fmt.delta(2.0, 2.0, fmt.bpc) == ("±0.000", "±0.0%")
    assert fmt.delta(0.1, 0.0, fmt.rate) == ("+0.100", "—")
    assert fmt.delta(None, 1.0, fmt.rate) == ("—", "—")


def test_code_block_and_span_survive_backticks():
    assert fmt.code_block("a ``` b") == "````text\na ``` b\n````"
    assert fmt.code_span("x`y") == "``x`y``"
    assert fmt.code_span("`x") == "`` `x ``"
    assert fmt.table_cell("a | b\nc") == "a \\| b c"


def test_a_spread_is_unsigned_beside_a_signed_value():
    assert fmt.with_spread(fmt.signed, -0.8741, 0.1843) == "-0.874 ± 0.184"
    assert fmt.with_spread(fmt.signed, 0.25, None) == "+0.250"
    assert fmt.with_spread(fmt.rate, None, 0.1) == "—"
