"""One style for the numbers people read (advisor/units.py): durations, shares, rates."""

from __future__ import annotations

import math

import pytest

from advisor.units import format_count, format_duration, format_number, format_percent, format_rate, \
    option_seconds_text, parse_option_duration


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 s"), (0.15, "150 ms"), (0.1234, "123 ms"), (0.0005, "500 µs"), (1e-9, "0.001 µs"),
    (1e-12, "< 0.001 µs"), (0.9996, "1 s"), (1.5, "1.5 s"), (59.99, "60 s"), (60, "60 s"), (90, "90 s"),
    (3601, "3601 s"), (600, "10 min"), (7200, "2 h"), (150.5, "2.51 min"), (7300.5, "2.03 h"), (-0.5, "-500 ms"),
    (math.inf, "unlimited"), (math.nan, "-"), (None, "-"),
])
def test_durations(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize(("fraction", "text"), [
    (0, "0 %"), (1e-9, "< 0.001 %"), (1e-5, "0.001 %"), (1.23e-4, "0.0123 %"), (0.0476, "4.76 %"),
    (0.457, "45.7 %"), (0.9994, "99.9 %"), (0.9995, "99.95 %"), (0.999999999, "> 99.999 %"), (1.0, "100 %"),
    (-0.01, "-1 %"), (math.nan, "-"), (None, "-"),
])
def test_percentages(fraction, text):
    assert format_percent(fraction) == text


@pytest.mark.parametrize("value", [0, 1e-9, 1e-300, 5e-324, 1e300, 1.7e308, math.inf, -math.inf, math.nan, None])
def test_extremes_never_crash_nor_print_scientific_notation(value):
    for text in (format_duration(value), format_percent(value), format_rate(value), format_number(value)):
        assert "e+" not in text and "e-" not in text and "nan" not in text.lower()


def test_huge_durations_stay_readable():
    assert format_duration(1e12) == "278000000 h"
    assert format_duration(3600 * 10**6) == "1000000 h"


def test_rates_numbers_and_counts():
    assert [format_rate(r) for r in (210, 0.5, 1234.5)] == ["210 requests/s", "0.5 requests/s", "1234 requests/s"]
    assert [format_number(v) for v in (20.0, 3.14159, 1e-7, 123456789.0)] == ["20", "3.142", "0.0000001",
                                                                              "123500000"]
    assert format_count(12345) == "12,345"


@pytest.mark.parametrize("seconds", [0, 0.1, 1.5, 30, 1e-5])
def test_option_text_reads_back(seconds):
    text = option_seconds_text(seconds)
    assert text == "0" if seconds == 0 else parse_option_duration(text) == seconds


def test_absurd_magnitudes_stay_short() -> None:
    """Absurd inputs (`--rps 1e300`, a service time of 1e308 s) must not print hundreds of digits."""
    assert format_duration(1e308) == "> 1000000000000000 h"
    assert format_rate(1e300) == "> 1000000000000000 requests/s"
    assert format_number(-1e20) == "< -1000000000000000"
    assert format_number(1e14) == "100000000000000"
    assert len(format_percent(1e290)) < 24
