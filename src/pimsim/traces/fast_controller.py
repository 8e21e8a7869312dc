"""The trace controller's fast path: the reference controller's per-cycle model, with less work per cycle.

The rules are the ones ``pimsim.traces.controller`` states and its reference
controller applies, read from the same rule table; only the bookkeeping differs.

* A bank command's earliest cycle is the max of four table rows: the
  channel's and the rank's (shared by every bank of the rank) and the bank
  group's and the bank's (its own). A bank's next command is worked out
  again only when its queue or open row changed. Until its own rows allow
  that command the bank waits in its channel's heap, keyed by the cycle they
  do; then it waits in its rank's bucket for the command, and a bucket waits
  on one look-up of the shared rows (after an ACT, tRRD holds back every
  bank waiting to activate in the rank at once).
* A cycle looks only at banks whose key it reached and at buckets the
  shared rows allow. Requests that enter before anything else can happen
  enter right away; then the clock jumps to the next cycle at which a
  request can enter, a command can become legal or a refresh falls due.
* A command writes the engine's tables through per-bank lists of the writes
  the rule table names (``Engine.resolved_writes``). Writes with latency 1 or
  less are left out: a channel issues at most one command a cycle, so they
  never bind. Writes to entries that only refresh commands read are kept back
  (a command's latest issue at a bank dominates its earlier ones) and made
  before a refresh command is looked at; refresh commands go through the
  engine's checked ``earliest`` and ``issue``.
* A row-hit streak that nothing else can interleave is issued in closed form
  (``pimsim.traces.streak``).
"""

from __future__ import annotations

from heapq import heappop, heappush

from pimsim.dram.engine import Engine
from pimsim.dram.refresh import StallWatch, due_refresh, make_refresh
from pimsim.dram.spec import DramSpec
from pimsim.traces.streak import Streak

INF = float("inf")


class FastController:
    def __init__(self, spec: DramSpec, depth: int, bases: tuple[int, int], closed_page: bool) -> None:
        self.spec = spec
        self.depth = depth
        self.bases = bases  # the scheduler's priority bases (pimsim.traces.controller.SCHEDULERS)
        self.closed_page = closed_page
        self.eng = Engine(spec)
        self.refresh = make_refresh(spec)
        self.hot: tuple[int, ...] = ()  # the commands the scheduler may pick (set by run)
        n_banks = len(self.eng.open_row)
        self.bank_addr = [spec.addr_of_bank(b) for b in range(n_banks)]
        self.bank_writes: list[list] = [[None] * len(spec.commands) for _ in range(n_banks)]
        self._node_of: dict[int, tuple[int, int]] | None = None

    def writes(self, cmd: int, b: int) -> tuple[tuple, tuple, tuple]:
        """``cmd`` at bank ``b``: (plain writes the scheduler reads, plain writes only refresh reads,
        windowed writes), as ``Engine.resolved_writes`` gives them, less the plain writes another one
        dominates: one of the same entry at an ancestor node with no smaller latency (every look-up
        that reads a node reads its ancestors too)."""
        w = self.bank_writes[b][cmd]
        if w is None:
            eng = self.eng
            if self._node_of is None:
                self._node_of = {id(r): (lvl, i) for lvl, rows in enumerate(eng.next_ok) for i, r in enumerate(rows)}
            path = eng.path(self.bank_addr[b])
            plain, windowed = eng.resolved_writes(cmd, self.bank_addr[b], min_latency=2)
            best = {}  # (level, node, following) -> largest latency written there
            for r, f, lat in plain:
                k = (*self._node_of[id(r)], f)
                best[k] = max(best.get(k, lat), lat)
            kept = [x for x in plain if not any(best.get((lvl, path[lvl], x[1]), -1) >= x[2]
                                                for lvl in range(self._node_of[id(x[0])][0]))]
            w = self.bank_writes[b][cmd] = (tuple(x for x in kept if x[1] in self.hot),
                                            tuple(x for x in kept if x[1] not in self.hot), windowed)
        return w

    def run(self, chan, bank, row, col, write, arrival) -> tuple[int, int, int]:
        """Serve every request; returns (cycle the last one is done, row hits, sum of read latencies)."""
        eng, spec = self.eng, self.spec
        n = len(chan)
        n_ch, ranks = spec.cfg.channels, spec.cfg.ranks
        open_row = eng.open_row
        NB = len(open_row)
        depth, closed_page = self.depth, self.closed_page
        hit_base, miss_base = self.bases
        ids = spec.cmd_id
        ACT, PRE, RD, WR, RDA, WRA = (ids[c] for c in ("ACT", "PRE", "RD", "WR", "RDA", "WRA"))
        # the commands the scheduler may pick for this trace: their entries are written at once, the
        # others' only before a refresh reads them
        has_read, has_write = not all(write), any(write)
        picks = [ACT, PRE] + [RD] * has_read + [WR] * has_write
        if closed_page:
            picks += [RDA] * has_read + [WRA] * has_write
        hot = self.hot = tuple(picks)
        refile = (PRE, RDA, WRA) if closed_page else (PRE,)  # choices a newly queued hit changes
        counts = eng.counts
        closes = [c.effect == "close" for c in spec.commands]
        policies = [self.refresh[c * ranks:(c + 1) * ranks] for c in range(n_ch)]
        ref_due = [min(p.next_due for p in pols) for pols in policies]
        ref_min = min(ref_due)
        nx = eng.next_ok
        paths = [eng.path(a) for a in self.bank_addr]
        bank_ch = [p[0] for p in paths]
        bank_rank = [p[1] for p in paths]
        path_rows = [tuple(nx[level][node] for level, node in enumerate(p)) for p in paths]
        own_rows = [rows[2:] for rows in path_rows]  # per bank: its bank group's row and its own
        # per rank: (its channel's row, its row, per command the bucket of banks whose own rows allow it)
        rank_state = [(nx[0][r // ranks], nx[1][r], [set() for _ in spec.commands]) for r in range(n_ch * ranks)]
        # per channel: (rank, its channel's row, its row, (command, bucket) per command the scheduler picks)
        chan_ranks = [[(r, *rank_state[r][:2], tuple((cmd, rank_state[r][2][cmd]) for cmd in hot))
                       for r in range(c * ranks, (c + 1) * ranks)] for c in range(n_ch)]
        bank_writes, writes = self.bank_writes, self.writes
        cold_due: dict[int, int] = {}  # cmd * NB + bank -> latest issue whose cold writes are kept back

        queue: list[list[int]] = [[] for _ in range(NB)]  # per bank: queued requests, oldest first
        busy: set[int] = set()  # banks with a queue
        heaps: list[list[int]] = [[] for _ in range(n_ch)]  # per channel: cycle * NB + bank
        filed = [-1] * NB  # per bank: its live heap key (other keys of the bank are stale), or -1
        in_bucket: list = [None] * NB
        known = bytearray(NB)  # whether the three below are up to date
        cand_cmd = [0] * NB  # per bank: its next command, ...
        cand_req = [0] * NB  # ... the request it serves ...
        cand_key: list = [None] * NB  # ... and the scheduler's key for it
        key_of = cand_key.__getitem__
        qlen = [0] * n_ch
        acted = bytearray(n)
        served_at = [0] * n

        def place(b: int, now: int) -> int:
            """Work out bank b's next command if needed (its oldest row hit's column access, else PRE
            or ACT for its oldest request) and file the bank: in its rank's bucket for that command if
            its own rows allow it at ``now``, else in its channel's heap. Returns a lower bound of the
            cycle the command may issue."""
            if not known[b]:
                q = queue[b]
                r_open = open_row[b]
                if r_open >= 0:
                    for i in q:
                        if row[i] == r_open:
                            auto = closed_page and not any(row[j] == r_open for j in q if j != i)
                            cmd = (WRA if auto else WR) if write[i] else (RDA if auto else RD)
                            cand_key[b] = hit_base + i
                            break
                    else:
                        i, cmd = q[0], PRE
                        cand_key[b] = miss_base + i
                else:
                    i, cmd = q[0], ACT
                    cand_key[b] = miss_base + i
                cand_cmd[b], cand_req[b] = cmd, i
                known[b] = 1
            cmd = cand_cmd[b]
            g, k = own_rows[b]
            t = g[cmd] if g[cmd] > k[cmd] else k[cmd]
            if t > now:
                filed[b] = t * NB + b
                heappush(heaps[bank_ch[b]], t * NB + b)
                return t
            ch_row, rank_row, buckets = rank_state[bank_rank[b]]
            s = buckets[cmd]
            s.add(b)
            in_bucket[b] = s
            t = ch_row[cmd] if ch_row[cmd] > rank_row[cmd] else rank_row[cmd]
            return t if t > now else now

        def forget(b: int) -> None:
            """Bank b's queue or open row changed: its next command must be worked out again."""
            s = in_bucket[b]
            if s is not None:
                s.discard(b)
                in_bucket[b] = None
            filed[b] = -1
            known[b] = 0

        def enter(nxt: int, last_enq: int, floor: int, wake) -> tuple[int, int, float]:
            """Requests enter in file order, one a cycle, no earlier than ``floor`` and than their arrival,
            while their channel's queue has room, up to the cycle ``wake`` (lowered when an entering
            request's bank may issue sooner). Returns (next request, cycle of the last entry, wake)."""
            while nxt < n:
                c = chan[nxt]
                if qlen[c] >= depth:
                    break
                e = arrival[nxt]
                if e <= last_enq:
                    e = last_enq + 1
                if e < floor:
                    e = floor
                if e > wake:
                    break
                b = bank[nxt]
                q = queue[b]
                q.append(nxt)
                qlen[c] += 1
                last_enq = e
                nxt += 1
                if len(q) == 1:
                    busy.add(b)
                elif not (known[b] and row[q[-1]] == open_row[b] and cand_cmd[b] in refile):
                    continue  # the bank's choice stays (its oldest hit, or its oldest request)
                forget(b)
                t = place(b, e)
                if t < wake:
                    wake = t
            return nxt, last_enq, wake

        def flush_cold() -> None:
            """Make the writes kept back (before anything reads the entries only refresh reads)."""
            for k, t in cold_due.items():
                for r, f, lat in bank_writes[k % NB][k // NB][1]:
                    v = t + lat
                    if r[f] < v:
                        r[f] = v
            cold_due.clear()

        def refresh_step(c: int, now: int) -> tuple[bool, float, set[int]]:
            """Channel c's due refreshes, as the reference handles them: each due one blocks its rank;
            the first whose command is legal issues. Returns (whether one issued, the cycle to look
            again, the blocked ranks)."""
            flush_cold()
            best, wake, blocked = due_refresh(policies[c], eng, now, c * ranks)
            if best is None:
                return False, wake, blocked
            cmd, addr, pol = best
            eng.issue(cmd, addr, now)
            pol.on_issue(cmd)
            ref_due[c] = min(p.next_due for p in policies[c])
            heap = heaps[c]
            for b in spec.bank_span(spec.commands[cmd].level, addr):
                forget(b)
                if queue[b]:
                    filed[b] = (now + 1) * NB + b
                    heappush(heap, (now + 1) * NB + b)
            return True, now + 1, blocked

        streak = Streak(eng, tuple(c for c in hot if c not in (ACT, PRE)), closed_page, chan, bank, row, write,
                        arrival)
        cols = streak.cols if streak.usable else ()
        nxt = served = 0
        stall = StallWatch(spec)
        last_enq = -1
        now = 0
        nxt, last_enq, _ = enter(nxt, last_enq, 0, 0)
        while served < n:
            # 0. a row-hit streak no other bank can interleave is issued in closed form
            if len(busy) == 1 and now < ref_min:
                for b in busy:
                    break
                if open_row[b] >= 0 and known[b] and cand_cmd[b] in cols:
                    c = bank_ch[b]
                    q = queue[b]
                    nextok = {x: max(r[x] for r in path_rows[b]) for x in cols}
                    nxt0 = nxt
                    now, nxt, last_enq, issued, closed = streak.run(b, c, q, open_row[b], now, ref_min, nxt,
                                                                    last_enq, depth - qlen[c], nextok)
                    if issued or nxt != nxt0:
                        last_at = {}
                        for i, t, cmd in issued:
                            served_at[i] = t
                            counts[cmd] += 1
                            last_at[cmd] = t
                        for cmd, t in last_at.items():
                            w = bank_writes[b][cmd] or writes(cmd, b)
                            for r, f, lat in w[0]:
                                v = t + lat
                                if r[f] < v:
                                    r[f] = v
                            if w[1]:
                                cold_due[cmd * NB + b] = t
                        served += len(issued)
                        qlen[c] += nxt - nxt0 - len(issued)
                        if closed:
                            open_row[b] = -1
                        forget(b)
                        if q:
                            place(b, now)
                        else:
                            busy.discard(b)
                        if served == n:
                            break
                    if last_enq < now and nxt < n and arrival[nxt] <= now:
                        nxt, last_enq, _ = enter(nxt, last_enq, now, now)
            # the next refresh to fall due (those due now are looked at below)
            wake = ref_min if ref_min > now else min((d for d in ref_due if d > now), default=INF)
            # 1. each channel issues at most one command
            for c in range(n_ch):
                blocked = ()
                if now >= ref_due[c]:
                    issued, t, blocked = refresh_step(c, now)
                    if issued:
                        stall.refreshed(served, bool(busy))
                        ref_min = min(ref_due)
                        wake = now + 1
                        continue
                    if t < wake:
                        wake = t
                # banks whose own rows now allow their command move to their rank's bucket
                heap = heaps[c]
                limit = (now + 1) * NB
                while heap and heap[0] < limit:
                    k = heappop(heap)
                    b = k % NB
                    if filed[b] != k:
                        continue
                    filed[b] = -1
                    if known[b]:
                        cmd = cand_cmd[b]
                        g, kk = own_rows[b]
                        t = g[cmd] if g[cmd] > kk[cmd] else kk[cmd]
                        if t > now:
                            filed[b] = t * NB + b
                            heappush(heap, t * NB + b)
                        else:
                            s = rank_state[bank_rank[b]][2][cmd]
                            s.add(b)
                            in_bucket[b] = s
                    else:
                        place(b, now)
                # the scheduler's pick among the buckets the shared rows allow
                best_b = -1
                best_key = None
                allowed = []
                for r, ch_row, rank_row, pairs in chan_ranks[c]:
                    if r in blocked:
                        continue
                    for cmd, s in pairs:
                        if not s:
                            continue
                        t = ch_row[cmd] if ch_row[cmd] > rank_row[cmd] else rank_row[cmd]
                        if t > now:
                            if t < wake:
                                wake = t
                            continue
                        allowed.append((ch_row, rank_row, cmd, s))
                        while s:  # the bucket's first bank by the scheduler's key whose own rows still allow it
                            b = min(s, key=key_of) if len(s) > 1 else next(iter(s))
                            g, kk = own_rows[b]
                            if g[cmd] > now or kk[cmd] > now:  # a command at a bank nearby raised its rows
                                s.discard(b)
                                in_bucket[b] = None
                                t = g[cmd] if g[cmd] > kk[cmd] else kk[cmd]
                                filed[b] = t * NB + b
                                heappush(heap, t * NB + b)
                                continue
                            if best_key is None or cand_key[b] < best_key:
                                best_key, best_b = cand_key[b], b
                            break
                if best_b >= 0:
                    # issue: the table writes, the bank's state, the request's bookkeeping
                    b = best_b
                    cmd = cand_cmd[b]
                    req = cand_req[b]
                    w = bank_writes[b][cmd] or writes(cmd, b)
                    for r, f, lat in w[0]:
                        v = now + lat
                        if r[f] < v:
                            r[f] = v
                    if w[1]:
                        cold_due[cmd * NB + b] = now
                    for hist, window, ups in w[2]:
                        hist.append(now)
                        if len(hist) == window:
                            t0 = hist[0]
                            for r, f, lat in ups:
                                v = t0 + lat
                                if r[f] < v:
                                    r[f] = v
                    counts[cmd] += 1
                    q = queue[b]
                    if cmd == ACT:
                        open_row[b] = row[req]
                        acted[req] = 1
                    elif cmd == PRE:
                        open_row[b] = -1
                    else:
                        if closes[cmd]:
                            open_row[b] = -1
                        if q[0] == req:
                            del q[0]
                        else:
                            q.remove(req)
                        qlen[c] -= 1
                        served += 1
                        served_at[req] = now
                    s = in_bucket[b]  # (forget(b): the bank was picked from its bucket)
                    s.discard(b)
                    in_bucket[b] = None
                    known[b] = 0
                    if q:
                        t = place(b, now)
                        if t <= now:
                            t = now + 1
                        if t < wake:
                            wake = t
                    else:
                        busy.discard(b)
                    # the buckets the shared rows allowed: the issue may have raised those rows
                    for ch_row, rank_row, cmd, s in allowed:
                        if s:
                            t = ch_row[cmd] if ch_row[cmd] > rank_row[cmd] else rank_row[cmd]
                            if t <= now:
                                t = now + 1
                            if t < wake:
                                wake = t
                if heap and heap[0] // NB < wake:
                    wake = heap[0] // NB
            # 2. requests that enter before anything else can happen enter now
            if nxt < n and qlen[chan[nxt]] < depth:
                nxt, last_enq, wake = enter(nxt, last_enq, now + 1, wake)
            # 3. jump to the next cycle at which anything can happen
            if wake == INF:
                if served == n:
                    break
                raise RuntimeError("trace controller stalled with requests pending")
            now = now + 1 if wake <= now else int(wake)
        # a read is done nCL + nBL after its RD, a write nCWL + nBL after its WR
        p = spec.params
        if has_write:  # (reads only: a pass each without the test, 5 ms less per 100,000 requests)
            reads = [t - a for t, a, w in zip(served_at, arrival, write) if not w]
            done = max(t + (p["nCWL"] if w else p["nCL"]) for t, w in zip(served_at, write)) + p["nBL"]
        else:
            reads = [t - a for t, a in zip(served_at, arrival)]
            done = max(served_at) + p["nCL"] + p["nBL"]
        return done, n - sum(acted), sum(reads) + len(reads) * (p["nCL"] + p["nBL"])
