"""Timeline export in the Chrome trace-event format (opens in Perfetto or chrome://tracing).

One track per PIM channel and one for the ASIC; each step is a complete
("X") event on every track it kept busy. With the reference engine (which
logs every DRAM command) each channel's commands are added as instant events
on a second track per channel. Times are microseconds of simulated time.
"""

from __future__ import annotations

import json
from pathlib import Path

ASIC_TID = 0


def timeline_events(records, channels, tck_ns: float) -> list[dict]:
    us = tck_ns / 1000.0
    n_ch = len(channels)
    events: list[dict] = [{"name": "process_name", "ph": "M", "pid": 1, "args": {"name": "pimsim"}},
                          {"name": "thread_name", "ph": "M", "pid": 1, "tid": ASIC_TID, "args": {"name": "ASIC"}}]
    for c in range(n_ch):
        events.append({"name": "thread_name", "ph": "M", "pid": 1, "tid": 1 + c, "args": {"name": f"channel {c}"}})
    for r in records:
        if r.kind == "asic":
            events.append({"name": r.name, "cat": "asic", "ph": "X", "pid": 1, "tid": ASIC_TID,
                           "ts": r.start * us, "dur": (r.end - r.start) * us})
        else:
            for c, (start, end) in sorted(r.channels.items()):
                events.append({"name": r.name, "cat": "pim", "ph": "X", "pid": 1, "tid": 1 + c,
                               "ts": start * us, "dur": (end - start) * us, "args": dict(r.time)})
    for c, ch in enumerate(channels):
        log = ch.engine.log
        if log:
            tid = 1 + n_ch + c
            events.append({"name": "thread_name", "ph": "M", "pid": 1, "tid": tid,
                           "args": {"name": f"channel {c} commands"}})
            for cycle, name, _, _, bg, ba, row, col in log:
                events.append({"name": name, "cat": "dram", "ph": "i", "s": "t", "pid": 1, "tid": tid,
                               "ts": cycle * us, "args": {"bg": bg, "bank": ba, "row": row, "col": col}})
    return events


def write_timeline(path: str | Path, records, channels, tck_ns: float) -> int:
    events = timeline_events(records, channels, tck_ns)
    Path(path).write_text(json.dumps({"traceEvents": events, "displayTimeUnit": "ns"}))
    return len(events)
