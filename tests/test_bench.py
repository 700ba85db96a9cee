"""The benchmark tool (geosvc/bench.py): its wrk script, its parsing, and one short real run."""

from __future__ import annotations

import shutil

import pytest

from geosvc import bench
from geosvc.bench import BASELINE, Endpoint, Options, Result, lua_script, parse_wrk_output, report, summarise


def test_endpoints_start_with_the_baseline_and_carry_the_targets():
    endpoints = bench.endpoints()
    assert endpoints[0].name == BASELINE and endpoints[0].paths == ["/bench/constant"]
    autocomplete = next(e for e in endpoints if e.name == "autocomplete")
    assert (autocomplete.min_throughput_ratio, autocomplete.max_p99_ms) == (0.6, 20.0)
    assert len(autocomplete.paths) > 1000  # every keystroke of the relevance set
    assert all(path.isascii() and path.startswith("/communes") for e in endpoints[1:] for path in e.paths)


def test_lua_script_refuses_what_is_not_a_url_encoded_path():
    assert '"/a?q=b%20c"' in lua_script(["/a?q=b%20c"])
    for bad in ['/a?q="', "/a?q=é", "http://example.org/", "/a\\b"]:
        with pytest.raises(ValueError):
            lua_script([bad])


def test_parse_wrk_output():
    output = ("Running 1s test\n" + bench.RESULT_MARK + '{"requests": 2000, "duration_us": 1000000, "bytes": 1, '
              '"p50_us": 1500, "p90_us": 3000, "p99_us": 9000, "max_us": 12000, "connect_errors": 0, '
              '"read_errors": 1, "write_errors": 0, "status_errors": 2, "timeouts": 0}\n')
    result = parse_wrk_output("x", output)
    assert (result.throughput, result.p50_ms, result.p99_ms, result.errors) == (2000, 1.5, 9.0, 3)
    with pytest.raises(RuntimeError):
        parse_wrk_output("x", "no result line")


def _result(name: str, requests: int, p99_ms: float, errors: int = 0) -> Result:
    return Result(name, requests, 1.0, p99_ms / 2, p99_ms, p99_ms, p99_ms, errors)


def test_ratios_are_taken_within_each_round_and_targets_checked():
    endpoints = [Endpoint(BASELINE, ["/bench/constant"]),
                 Endpoint("fast", ["/f"], min_throughput_ratio=0.6, max_p99_ms=20)]
    # the machine was twice as busy in the second round: each ratio is still 0.75
    rounds = [[_result(BASELINE, 4000, 8), _result("fast", 3000, 10)],
              [_result(BASELINE, 2000, 16), _result("fast", 1500, 30)],
              [_result(BASELINE, 4000, 8), _result("fast", 3000, 10)]]
    summaries = summarise(rounds)
    fast = summaries[1]
    assert fast.throughput_ratio == pytest.approx(0.75)
    assert (fast.p99_ms, fast.worst_p99_ms) == (10, 30)
    lines, missed = report(summaries, endpoints, Options(database_url="unused"))
    assert missed == [] and any("0.75 ok" in line for line in lines)

    slow = [[_result(BASELINE, 4000, 8), _result("fast", 2000, 25, errors=1)]]
    _, missed = report(summarise(slow), endpoints, Options(database_url="unused"))
    assert len(missed) == 3  # errors, throughput ratio 0.5, p99 25 ms


def test_a_short_real_run_on_loopback(api_url):
    assert shutil.which("wrk"), "wrk is missing: scripts/setup.sh installs it"
    selected = [e for e in bench.endpoints() if e.name in (BASELINE, "autocomplete")]
    options = Options(database_url=api_url, workers=1, connections=2, threads=1, duration_s=1, rounds=1,
                      warmup_s=0)
    rounds = bench.run(options, selected)
    assert [r.name for r in rounds[0]] == [BASELINE, "autocomplete"]
    for result in rounds[0]:
        assert result.requests > 10 and result.errors == 0
        assert 0 < result.p50_ms <= result.p99_ms
