"""The protocol checker names every planted violation and passes legal logs."""

from __future__ import annotations

import random

import pytest

from pimsim.dram.checker import check_log
from pimsim.dram.engine import Engine

LEGAL = [
    (0, "ACT", 0, 0, 0, 0, 5, 0),
    (23, "RD", 0, 0, 0, 0, 5, 0),
    (29, "RD", 0, 0, 0, 0, 5, 1),
    (41, "PRE", 0, 0, 0, 0, -1, 0),
    (61, "ACT", 0, 0, 0, 0, 6, 0),
]


def test_legal_log_has_no_violations(spec):
    assert check_log(spec, LEGAL) == []


@pytest.mark.parametrize("entry,expected", [
    ((10, "RD", 0, 0, 0, 0, 5, 0), "nRCDRD"),
    ((30, "PRE", 0, 0, 0, 0, -1, 0), "nRAS"),
    ((5, "ACT", 0, 0, 0, 1, 1, 0), "nRRDL"),
    ((5, "ACT", 0, 0, 1, 0, 1, 0), "nRRDS"),
    ((0, "ACT", 0, 1, 0, 0, 1, 0), "* -> * same-channel: 1"),
])
def test_each_planted_timing_violation_is_named(spec, entry, expected):
    log = [LEGAL[0], entry]
    found = check_log(spec, log)
    assert any(expected in v.what for v in found), found


def test_rd_to_closed_bank_is_a_state_violation(spec):
    found = check_log(spec, [(0, "RD", 0, 0, 0, 0, 5, 0)])
    assert [v.what for v in found] == ["bank (0, 0, 0, 0) is closed"]


def test_act_to_open_bank_is_a_state_violation(spec):
    found = check_log(spec, [(0, "ACT", 0, 0, 0, 0, 5, 0), (100, "ACT", 0, 0, 0, 0, 6, 0)])
    assert any("is open" in v.what for v in found)


def test_refresh_with_open_rows_is_a_state_violation(spec):
    found = check_log(spec, [(0, "ACT", 0, 0, 2, 1, 5, 0), (500, "REFab", 0, 0, 0, 0, -1, 0)])
    assert any(v.command == "REFab" and "is open" in v.what for v in found)


def test_rd_to_wrong_row_is_a_state_violation(spec):
    found = check_log(spec, [(0, "ACT", 0, 0, 0, 0, 5, 0), (100, "RD", 0, 0, 0, 0, 6, 0)])
    assert any("row 6 accessed while row 5 is open" in v.what for v in found)


def test_fifth_activate_inside_nfaw_is_named(spec):
    log = [(0, "ACT", 0, 0, 0, 0, 1, 0), (9, "ACT", 0, 0, 1, 0, 1, 0), (18, "ACT", 0, 0, 2, 0, 1, 0),
           (27, "ACT", 0, 0, 3, 0, 1, 0), (49, "ACT", 0, 0, 0, 1, 1, 0)]
    found = check_log(spec, log)
    assert len(found) == 1 and "nFAW" in found[0].what and "window 4" in found[0].what


def test_prea_checks_every_bank_of_its_rank(spec):
    log = [(0, "ACT", 0, 0, 3, 3, 1, 0), (40, "PREA", 0, 0, 0, 0, -1, 0)]
    assert any("nRAS" in v.what for v in check_log(spec, log))


def test_going_back_in_time_is_named(spec):
    found = check_log(spec, [(10, "ACT", 0, 0, 0, 0, 1, 0), (5, "ACT", 0, 0, 1, 0, 1, 0)])
    assert any("back in time" in v.what for v in found)


def test_random_engine_logs_pass_and_every_shift_earlier_is_caught(spec):
    """Issue random legal commands at their earliest cycle; the checker must accept the log,
    and moving any timing-bound command one cycle earlier must produce a violation."""
    rng = random.Random(5)
    eng = Engine(spec, keep_log=True)
    ids = spec.cmd_id
    now = 0
    for _ in range(400):
        bank = (0, rng.randrange(2), rng.randrange(4), rng.randrange(4))
        b = eng.path(bank)[3]
        if eng.open_row[b] < 0:
            name, row = "ACT", rng.randrange(8)
        else:
            name, row = rng.choice(["RD", "WR", "RD", "PRE", "RDA", "WRA"]), eng.open_row[b]
        t = max(now, eng.earliest(ids[name], bank))
        eng.issue(ids[name], bank, t, row=row)
        now = t
    log = eng.log
    assert check_log(spec, log) == []
    # a command that issued exactly at its bound, one cycle earlier, must be flagged
    shifted = 0
    for i in range(1, len(log)):
        if log[i][0] - 1 > log[i - 1][0]:
            bad = list(log[: i]) + [(log[i][0] - 1, *log[i][1:])]
            if check_log(spec, bad):
                shifted += 1
            else:
                raise AssertionError(f"shifting entry {i} ({log[i]}) earlier went unnoticed")
    assert shifted > 50
