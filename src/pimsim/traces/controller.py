"""Trace-mode memory controller: transaction queue, FR-FCFS scheduling, open or closed page, refresh.

What users of DRAMsim3 and Ramulator 2 expect. Each channel has one
transaction queue (``controller.queue_depth``). Requests enter in file
order, no earlier than their arrival cycle, at most one per cycle, and only
while their channel's queue has room. Every cycle each channel issues at most
one command: a due refresh first (it blocks its rank; PREA before REFab), else
the scheduler's pick among requests whose next command is legal now. A
request's next command is its column access if its row is open, PRE if
another row is open (never while a queued request still hits that row), ACT
if the bank is closed. A read is done when its data has returned
(RD + nCL + nBL), a write when its data is written (WR + nCWL + nBL).

Time never ticks: when nothing can issue, the clock jumps to the earliest
cycle at which a command becomes legal, a request can enter, or a refresh
falls due.

Two controllers apply these rules. The reference here issues every command
through the engine's checked ``issue`` and can keep the command log; the
fast path (``pimsim.traces.fast_controller``, the default) gives the same
results to the cycle with less work per cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pimsim.config.hw import ControllerConfig
from pimsim.config.validate import did_you_mean
from pimsim.dram.engine import Engine
from pimsim.dram.refresh import StallWatch, due_refresh, make_refresh
from pimsim.dram.spec import DramSpec
from pimsim.errors import PimsimError
from pimsim.traces.fast_controller import FastController
from pimsim.traces.mapping import parse_mapping
from pimsim.traces.reader import Trace

INF = float("inf")

# Scheduler: a ready candidate's priority (smaller wins) is a base plus its request's index (its age),
# the base of a row hit's column access and that of a miss's PRE or ACT; MISS is above any index.
MISS = 1 << 62
SCHEDULERS = {
    "frfcfs": (0, MISS),  # row hits first, then oldest
    "fcfs": (0, 0),  # oldest first
}
PAGE_POLICIES = ("open", "closed")  # closed: auto-precharge when no queued request hits the row


@dataclass
class TraceResult:
    cycles: int
    requests: int
    reads: int
    writes: int
    counts: dict[str, int]
    row_hits: int
    read_latency_sum: int
    refresh_cycles: int
    log: list | None = field(default=None, repr=False)


def _registered(value: str, known, key: str, where: str) -> None:
    if value not in known:
        raise PimsimError(f"unknown {key.split('.')[-1]} {value!r}" + did_you_mean(value, list(known)),
                          where=where, key=key)


CONTROLLERS = ("fast", "reference")  # the same results; the reference issues through the checked engine


def run_trace(spec: DramSpec, ctrl: ControllerConfig, trace: Trace, where: str = "",
              keep_log: bool = False, controller: str | None = None) -> TraceResult:
    """Serve ``trace`` (``controller``: "fast", or "reference", the per-command path every other is
    proven against; default "reference" when ``keep_log`` asks for the command log, else "fast")."""
    _registered(ctrl.scheduler, SCHEDULERS, "controller.scheduler", where)
    _registered(ctrl.page_policy, PAGE_POLICIES, "controller.page_policy", where)
    controller = controller or ("reference" if keep_log else "fast")
    if controller not in CONTROLLERS or (keep_log and controller != "reference"):
        raise ValueError(f"controller {controller!r} (keep_log={keep_log}): expected one of {CONTROLLERS}, "
                         "and the reference when the log is kept")
    mapping = parse_mapping(ctrl.address_mapping, spec.cfg, where)
    addrs = trace.addr
    if max(addrs) >> mapping.total_bits:
        i = next(i for i, a in enumerate(addrs) if a >> mapping.total_bits)
        cap = spec.cfg.capacity_bytes
        raise PimsimError(f"address {addrs[i]:#x} is beyond the capacity of {cap:#x} bytes",
                          where=where, key=f"line {trace.lines[i]}")
    bases, closed = SCHEDULERS[ctrl.scheduler], ctrl.page_policy == "closed"
    if controller == "fast":
        ctl = FastController(spec, ctrl.queue_depth, bases, closed)
    else:
        ctl = _Controller(spec, ctrl.queue_depth, bases, closed, keep_log)
    write = trace.is_write
    cols = mapping.field(addrs, "co") if controller == "reference" else None  # (the fast path needs no column)
    done, row_hits, lat_sum = ctl.run(mapping.field(addrs, "ch"), mapping.banks(addrs), mapping.field(addrs, "ro"),
                                      cols, write, trace.arrival)
    counts = {cmd.name: ctl.eng.counts[i] for i, cmd in enumerate(spec.commands)}
    n = len(write)
    reads = n - sum(write)
    ref_cycles = counts["REFab"] * spec.params["nRFC"] + counts["REFpb"] * spec.params["nRFCpb"]
    return TraceResult(done, n, reads, n - reads, counts, row_hits, lat_sum, ref_cycles, ctl.eng.log)


class _Controller:
    """The per-command reference: every command through the engine's checked ``issue``."""

    def __init__(self, spec: DramSpec, depth: int, bases: tuple[int, int], closed_page: bool,
                 keep_log: bool) -> None:
        self.spec = spec
        self.depth = depth
        self.bases = bases
        self.closed_page = closed_page
        self.eng = Engine(spec, keep_log=keep_log)
        self.refresh = make_refresh(spec)
        ids = spec.cmd_id
        self.ACT, self.PRE = ids["ACT"], ids["PRE"]
        self.col_cmd = {(False, False): ids["RD"], (True, False): ids["WR"],
                        (False, True): ids["RDA"], (True, True): ids["WRA"]}
        self.bank_addr = [spec.addr_of_bank(b) for b in range(len(self.eng.open_row))]
        nx = self.eng.next_ok
        # per bank: the four per-command rows on its path, for a cheap earliest()
        self.bank_rows = [tuple(nx[lvl][n] for lvl, n in enumerate(self.eng.path(a))) for a in self.bank_addr]

    def _candidate(self, b: int, reqs: list[int], row: list[int], write: list[bool]) -> tuple[int, int, bool]:
        """The bank's next command: its oldest row hit's column access, else PRE or ACT for its oldest."""
        r_open = self.eng.open_row[b]
        if r_open >= 0:
            for i in reqs:
                if row[i] == r_open:
                    more = self.closed_page and any(row[j] == r_open for j in reqs if j != i)
                    return self.col_cmd[(write[i], self.closed_page and not more)], i, True
            return self.PRE, reqs[0], False
        return self.ACT, reqs[0], False

    def banks_under(self, cmd: int, addr) -> range:
        level = self.spec.commands[cmd].level
        return self.spec.bank_span(level, addr)

    def run(self, chan, bank, row, col, write, arrival) -> tuple[int, int, int]:
        """Serve every request; returns (cycle the last one is done, row hits, sum of read latencies)."""
        eng, spec = self.eng, self.spec
        n = len(chan)
        n_ch = spec.cfg.channels
        ranks_per_ch = spec.cfg.ranks
        bank_rank = [b // spec.cfg.banks_per_rank for b in range(len(eng.open_row))]
        queues: list[dict[int, list[int]]] = [{} for _ in range(n_ch)]
        qlen = [0] * n_ch
        acted = [False] * n
        nCL, nCWL, nBL = spec.params["nCL"], spec.params["nCWL"], spec.params["nBL"]
        nxt, last_enq, served, done = 0, -1, 0, 0
        stall = StallWatch(spec)
        row_hits = lat_sum = 0
        now = 0
        hit_base, miss_base = self.bases
        ACT, PRE = self.ACT, self.PRE
        open_row = eng.open_row
        n_banks = len(open_row)
        cand: list = [None] * n_banks  # per bank: (next command, request, is row hit) or None
        cand_t = [-1] * n_banks  # per bank: lower bound of that command's earliest cycle
        bank_rows = self.bank_rows
        while served < n:
            # 1. one request may enter this cycle
            if nxt < n and arrival[nxt] <= now and last_enq < now and qlen[chan[nxt]] < self.depth:
                c = chan[nxt]
                queues[c].setdefault(bank[nxt], []).append(nxt)
                cand[bank[nxt]], cand_t[bank[nxt]] = None, -1
                qlen[c] += 1
                last_enq = now
                nxt += 1
            issued = False
            wake = INF
            # 2. each channel issues at most one command
            for c in range(n_ch):
                best, due, blocked = due_refresh(self.refresh[c * ranks_per_ch:(c + 1) * ranks_per_ch], eng, now,
                                                 c * ranks_per_ch)
                wake = min(wake, due)
                if best is not None:
                    cmd, addr, pol = best
                    eng.issue(cmd, addr, now)
                    pol.on_issue(cmd)
                    stall.refreshed(served, any(qlen))
                    for b in self.banks_under(cmd, addr):
                        cand[b], cand_t[b] = None, -1
                    issued = True
                    continue
                best_key = None
                for b, reqs in queues[c].items():
                    if blocked and bank_rank[b] in blocked:
                        continue
                    t = cand_t[b]
                    if t > now:  # a lower bound: bounds only rise until this bank changes
                        if t < wake:
                            wake = t
                        continue
                    cd = cand[b]
                    if cd is None:
                        cd = cand[b] = self._candidate(b, reqs, row, write)
                    cmd, req, is_hit = cd
                    r0, r1, r2, r3 = bank_rows[b]
                    t = r0[cmd]
                    if r1[cmd] > t:
                        t = r1[cmd]
                    if r2[cmd] > t:
                        t = r2[cmd]
                    if r3[cmd] > t:
                        t = r3[cmd]
                    cand_t[b] = t
                    if t <= now:
                        k = (hit_base if is_hit else miss_base) + req
                        if best_key is None or k < best_key:
                            best_key, best = k, (cmd, b, req)
                    elif t < wake:
                        wake = t
                if best is None:
                    continue
                cmd, b, req = best
                eng.issue(cmd, self.bank_addr[b], now, row=row[req], col=col[req])
                cand[b], cand_t[b] = None, -1
                issued = True
                if cmd == ACT:
                    acted[req] = True
                elif cmd != PRE:
                    reqs = queues[c][b]
                    reqs.remove(req)
                    if not reqs:
                        del queues[c][b]
                    qlen[c] -= 1
                    served += 1
                    if not acted[req]:
                        row_hits += 1
                    if write[req]:
                        end = now + nCWL + nBL
                    else:
                        end = now + nCL + nBL
                        lat_sum += end - arrival[req]
                    if end > done:
                        done = end
            # 3. jump to the next cycle at which anything can happen
            if issued:
                now += 1
                continue
            if nxt < n and qlen[chan[nxt]] < self.depth:
                t = max(arrival[nxt], last_enq + 1)
                if t < wake:
                    wake = t
            if wake == INF:
                raise RuntimeError("trace controller stalled with requests pending")
            now = max(now + 1, int(wake))
        return done, row_hits, lat_sum
