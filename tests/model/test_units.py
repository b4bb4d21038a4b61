import pytest

from advisor.units import nginx_time, parse_nginx_duration, parse_nginx_size


@pytest.mark.parametrize("text, seconds", [
    ("150ms", 0.15), ("60", 60.0), ("60s", 60.0), ("1m30s", 90.0), ("1h 30m", 5400.0), ("2h", 7200.0),
    ("1d", 86400.0), ("1w", 604800.0), ("500ms", 0.5),
])
def test_nginx_durations(text, seconds):
    assert parse_nginx_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "10x", "5s5s", "1.5s", "-1s", "s"])
def test_invalid_nginx_durations(text):
    with pytest.raises(ValueError):
        parse_nginx_duration(text)


@pytest.mark.parametrize("text, size", [("10k", 10240), ("1m", 1048576), ("1M", 1048576), ("2g", 2 * 1024**3),
                                        ("512", 512)])
def test_nginx_sizes(text, size):
    assert parse_nginx_size(text) == size


def test_nginx_time_is_what_a_directive_takes():
    assert [nginx_time(s) for s in (0.15, 60, 90, 600, 7200, 1.5)] == ["150ms", "60s", "90s", "10m", "2h", "1500ms"]
    assert all(parse_nginx_duration(nginx_time(s)) == s for s in (0.15, 60, 90, 600, 7200, 1.5, 3601))
