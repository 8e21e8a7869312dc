"""Row-hit streaks in closed form: a bank serving hits to its open row while nothing else can interleave.

While every queued request is at one bank whose open row is R, no refresh
falls due and every request entering belongs to that bank, the controller's
choice each cycle is forced: the bank's oldest queued hit, as soon as the
rules allow its column command. The rules between column commands at one
bank reduce to a latency per ordered pair (the max over the rule table's
rules on the bank's path, as for ``Engine.self_interval``), so the k-th
column command issues at

    max(its table entry before the streak, max over earlier ones of issue + latency, the cycle after the last)

and requests enter, one per cycle, at max(arrival, previous entry + 1, the
cycle after a column command frees a queue slot). The streak ends when no
hit is queued, at the first request for anything else, before the next
refresh falls due, or with an auto-precharge (closed page: the last queued
hit of the row).

A streak in its steady state (the channel's queue full of the bank's
requests, each column command freeing the slot the next request takes the
cycle after) is taken many periods at once (``Streak._steady``).
"""

from __future__ import annotations

from itertools import repeat

from pimsim.dram.engine import Engine

INF = float("inf")


class Streak:
    """Row-hit streaks for the fast trace controller (``run`` issues one)."""

    def __init__(self, eng: Engine, cols: tuple[int, ...], closed_page: bool, chan, bank, row, write,
                 arrival) -> None:
        """``cols``: the column commands the trace's requests can need (the streak issues only these)."""
        ids = eng.spec.cmd_id
        self.cols = cols
        self.closed_page = closed_page
        self.plain_cmd = (ids["RD"], ids["WR"])  # by write
        self.auto_cmd = (ids["RDA"], ids["WRA"])
        self.latency, self.usable = self._pair_latencies(eng)
        # per column command: the cycles between two of them in a row at one bank (at least one cycle)
        self.period = {a: max([lat for f, lat in self.latency[a] if f == a] + [1]) for a in cols}
        self.chan, self.bank, self.row, self.write, self.arrival = chan, bank, row, write, arrival

    def _pair_latencies(self, eng: Engine) -> tuple[dict[int, tuple[tuple[int, int], ...]], bool]:
        """Per column command: ((later column command, cycles the rules force between them at one bank), ...);
        and whether streaks are usable (no rolling-window rule counts column commands)."""
        p = eng.path(eng.spec.addr_of_bank(0))
        path_rows = {id(eng.next_ok[level][node]) for level, node in enumerate(p)}
        out = {}
        usable = True
        for a in self.cols:
            plain, windowed = eng.resolved_writes(a, eng.spec.addr_of_bank(0))
            lat: dict[int, int] = {}
            for r, f, latency in plain:
                if id(r) in path_rows and f in self.cols:
                    lat[f] = max(lat.get(f, latency), latency)
            if windowed:  # its rolling-window history would need every issue, not the last
                usable = False
            out[a] = tuple(sorted(lat.items()))
        return out, usable

    def _steady(self, q: list[int], open_row: int, pos: int, stop: float, nxt: int, nextok: dict[int, int]
                ) -> tuple[int, int, int, int]:
        """How many periods of the steady state follow (0: none), the column command, the first one's
        cycle and the period. The channel's queue is full, every request in it is bank b's (the fast
        controller runs a streak only then) and its oldest is a hit; a period issues the oldest hit's
        column command (a plain one, the same for every hit: same direction) and lets the next
        request enter in the cycle after. Periods follow while the request issued is a hit in that
        direction and the one entering is for the bank and has arrived, before ``stop``: then commands
        go one period (``period``) apart and each request enters the cycle after a command."""
        row, write, bank, arrival = self.row, self.write, self.bank, self.arrival
        w = write[q[0]]
        cmd = self.plain_cmd[w]
        step = self.period[cmd]
        first = nextok[cmd] if nextok[cmd] > pos else pos  # the first command's cycle
        limit = len(row) - nxt
        if stop != INF:
            limit = min(limit, (stop - 2 - first) // step + 1)  # (every entry before stop)
        lead = 0  # leading queued hits in that direction
        for i in q:
            if row[i] != open_row or write[i] != w:
                break
            lead += 1
        queued = len(q)
        if lead < queued:
            limit = min(limit, lead)
        b = bank[nxt]
        k = 0
        t = first + 1  # when the k-th request would enter
        if lead == queued:  # the entering requests are issued too, from period `queued` on, while hits
            while k < limit:
                r = nxt + k
                if bank[r] != b or arrival[r] > t:
                    return k, cmd, first, step
                k += 1
                t += step
                if row[r] != open_row or write[r] != w:
                    limit = min(limit, queued + k - 1)  # (issued in period queued + k - 1: a hit no more)
                    break
        while k < limit:
            r = nxt + k
            if bank[r] != b or arrival[r] > t:
                break
            k += 1
            t += step
        return k, cmd, first, step

    def run(self, b: int, c: int, q: list[int], open_row: int, pos: int, stop: float, nxt: int, last_enq: int,
            room: int, nextok: dict[int, int]) -> tuple[int, int, int, list[tuple[int, int, int]], bool]:
        """Serve bank ``b``'s (channel ``c``) row hits from cycle ``pos`` on; cycles from ``stop`` on are
        left alone. ``q``: the bank's queue (updated in place); ``room``: free slots of the channel's
        queue; ``nextok``: per column command, the earliest cycle the tables allow it (updated).

        Returns (the first cycle not fully handled, next request to enter, cycle of the last entry,
        issued (request, cycle, command) triples, whether the row was closed by auto-precharge).
        The cycle returned may have had its entry already (then it equals the last entry's cycle).
        """
        row, write, chan, bank, arrival = self.row, self.write, self.chan, self.bank, self.arrival
        latency, closed_page = self.latency, self.closed_page
        plain_cmd, auto_cmd = self.plain_cmd, self.auto_cmd
        n = len(chan)
        issued: list[tuple[int, int, int]] = []
        h = 0  # index in q of the oldest queued hit (the ones before it are not hits), or len(q)
        while h < len(q) and row[q[h]] != open_row:
            h += 1
        hits = sum(1 for i in q if row[i] == open_row)  # queued hits
        while True:
            if not room and h == 0 and not closed_page and nxt < n and bank[nxt] == b:
                k, cmd, t0, step = self._steady(q, open_row, pos, stop, nxt, nextok)
                if k > 0:  # k periods of the steady state, at once
                    seq = q + list(range(nxt, nxt + k))
                    last = t0 + (k - 1) * step
                    issued.extend(zip(seq[:k], range(t0, last + 1, step), repeat(cmd, k)))
                    q[:] = seq[k:]
                    nxt += k
                    last_enq = pos = last + 1
                    for f, lat in latency[cmd]:
                        v = last + lat
                        if nextok[f] < v:
                            nextok[f] = v
                    h = 0
                    while h < len(q) and row[q[h]] != open_row:
                        h += 1
                    hits = sum(1 for i in q if row[i] == open_row)
                    continue
            if not hits and q:  # only other rows' requests queued: the bank's next command is a PRE
                return pos, nxt, last_enq, issued, False
            e = INF  # the next entry (a request of another channel finds its queue empty)
            if nxt < n and (room > 0 or chan[nxt] != c):
                e = arrival[nxt]
                if e <= last_enq:
                    e = last_enq + 1
                if e < pos:
                    e = pos
            t = INF  # the next column command: the oldest hit's (auto-precharging if it is the last)
            if hits:
                i = q[h]
                cmd = auto_cmd[write[i]] if closed_page and hits == 1 else plain_cmd[write[i]]
                t = nextok[cmd]
                if t < pos:
                    t = pos
            if e <= t:  # a request enters before (or in the cycle of) the next column command
                if e == INF:  # neither: nothing is left to do here
                    return pos, nxt, last_enq, issued, False
                if e >= stop or bank[nxt] != b:  # (bank numbers are flat: they tell channels apart too)
                    return (stop if e > stop else e), nxt, last_enq, issued, False
                q.append(nxt)
                if row[nxt] == open_row:
                    if not hits:
                        h = len(q) - 1
                    hits += 1
                nxt += 1
                room -= 1
                last_enq = pos = e
                continue
            if t >= stop:
                return stop, nxt, last_enq, issued, False
            issued.append((i, t, cmd))
            del q[h]
            hits -= 1
            room += 1
            for f, lat in latency[cmd]:
                v = t + lat
                if nextok[f] < v:
                    nextok[f] = v
            pos = t + 1
            if closed_page and hits == 0:  # auto-precharged: the row is closed
                return pos, nxt, last_enq, issued, True
            if hits:
                while row[q[h]] != open_row:
                    h += 1
