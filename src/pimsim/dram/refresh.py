"""Refresh policies, registered by name (``dram.refresh_policy``).

A policy keeps one rank's refresh schedule. Refreshes fall due on a fixed
grid (the k-th at k x interval, never postponed, as Ramulator 2 and DRAMsim3
schedule them); a due refresh blocks its rank until done and is issued after
precharging whatever it needs closed. Whoever drives the engine (the trace
controller, the PIM channel) asks ``next_command`` and issues what it gets.
"""

from __future__ import annotations

from pimsim.config.validate import did_you_mean
from pimsim.dram.commands import BANK, RANK
from pimsim.dram.engine import Engine
from pimsim.dram.spec import Addr, DramSpec
from pimsim.errors import PimsimError

# refreshes issued in a row while work waits and none of it goes: refreshes are issued when due, never
# postponed, so a schedule that leaves the work no room would go on forever (a livelock); the PIM channels
# and the trace controllers stop there with an error naming dram.timing.nREFI
REFRESH_STALL = 64

REFRESH_POLICIES: dict[str, type["RefreshPolicy"]] = {}


def register(name: str):
    def deco(cls):
        REFRESH_POLICIES[name] = cls
        cls.policy_name = name
        return cls

    return deco


class RefreshPolicy:
    policy_name = ""

    def __init__(self, spec: DramSpec, channel: int, rank: int) -> None:
        self.spec = spec
        self.rank_addr: Addr = (channel, rank, 0, 0)
        self.ids = spec.cmd_id
        self.interval = self.refresh_interval()
        self.next_due = self.interval
        self.issued = 0

    def refresh_interval(self) -> int:
        raise NotImplementedError

    def next_command(self, engine: Engine) -> tuple[int, Addr]:
        """The command the due refresh needs now (a precharge first, if banks are open)."""
        raise NotImplementedError

    def on_issue(self, cmd: int) -> None:
        """Advance the schedule when the refresh command itself issued."""
        if self.spec.commands[cmd].refresh:
            self.issued += 1
            self.next_due += self.interval
            self.advance()

    def advance(self) -> None:
        pass

    def skip_one(self) -> None:
        """Account for one refresh that a reused (memoized) result already contains."""
        self.skip(1)

    def skip(self, n: int) -> None:
        """Account for ``n`` refreshes that a reused result already contains."""
        self.issued += n
        self.next_due += n * self.interval
        self.advance_by(n)

    def advance_by(self, n: int) -> None:
        """``advance`` ``n`` times (a policy with a rotation says how in one step)."""
        if type(self).advance is not RefreshPolicy.advance:
            for _ in range(n):
                self.advance()

    def position(self) -> int:
        """Where in its rotation the policy stands (part of a memo key)."""
        return 0


@register("all_bank")
class AllBankRefresh(RefreshPolicy):
    """REFab every nREFI; PREA first if any bank of the rank is open."""

    def refresh_interval(self) -> int:
        return self.spec.params["nREFI"]

    def next_command(self, engine: Engine) -> tuple[int, Addr]:
        if engine.open_banks(RANK, self.rank_addr):
            return self.ids["PREA"], self.rank_addr
        return self.ids["REFab"], self.rank_addr


@register("none")
class NoRefresh(RefreshPolicy):
    """No refresh at all: a refresh never falls due. For comparison with simulators that do not
    refresh (the open AiM simulator as shipped never refreshes a GDDR6 channel), and for
    studies that leave refresh out; real DRAM loses data without it."""

    NEVER = 1 << 62

    def refresh_interval(self) -> int:
        return self.NEVER

    def next_command(self, engine: Engine) -> tuple[int, Addr]:
        raise AssertionError("no refresh is ever due")


@register("per_bank")
class PerBankRefresh(RefreshPolicy):
    """REFpb to one bank every nREFI / banks, round-robin; PRE that bank first if open."""

    def __init__(self, spec: DramSpec, channel: int, rank: int) -> None:
        super().__init__(spec, channel, rank)
        self.bank = 0

    def refresh_interval(self) -> int:
        return max(1, self.spec.params["nREFI"] // self.spec.cfg.banks_per_rank)

    def target(self) -> Addr:
        g, b = divmod(self.bank, self.spec.cfg.banks_per_group)
        return (self.rank_addr[0], self.rank_addr[1], g, b)

    def next_command(self, engine: Engine) -> tuple[int, Addr]:
        addr = self.target()
        if engine.open_banks(BANK, addr):
            return self.ids["PRE"], addr
        return self.ids["REFpb"], addr

    def advance(self) -> None:
        self.bank = (self.bank + 1) % self.spec.cfg.banks_per_rank

    def advance_by(self, n: int) -> None:
        self.bank = (self.bank + n) % self.spec.cfg.banks_per_rank

    def position(self) -> int:
        return self.bank


def make_refresh(spec: DramSpec, where: str = "") -> list[RefreshPolicy]:
    """One policy object per (channel, rank), in flat rank order."""
    name = spec.cfg.refresh_policy
    cls = REFRESH_POLICIES.get(name)
    if cls is None:
        raise PimsimError(f"unknown refresh policy {name!r}" + did_you_mean(name, list(REFRESH_POLICIES)),
                          where=where, key="dram.refresh_policy")
    return [cls(spec, ch, r) for ch in range(spec.cfg.channels) for r in range(spec.cfg.ranks)]


def due_refresh(policies, eng, now: int, rank_base: int) -> tuple:
    """A controller's refresh look for one channel's ``policies`` at cycle ``now``: the first due
    refresh whose next command is legal now as ``(cmd, addr, policy)`` (or None), the earliest cycle
    worth looking again, and the ranks (numbered from ``rank_base``) a due refresh blocks."""
    best, wake, blocked = None, float("inf"), set()
    for pol in policies:
        if now >= pol.next_due:
            blocked.add(pol.rank_addr[1] + rank_base)
            cmd, addr = pol.next_command(eng)
            t = eng.earliest(cmd, addr)
            if t <= now and best is None:
                best = (cmd, addr, pol)
            elif t < wake:
                wake = t
        elif pol.next_due < wake:
            wake = pol.next_due
    return best, wake, blocked


class StallWatch:
    """Refreshes issued in a row while requests wait and none is served: past ``REFRESH_STALL`` the
    refresh schedule leaves them no room (refreshes are issued when due, never postponed), and the
    run ends with an error naming ``dram.timing.nREFI`` rather than going on forever."""

    def __init__(self, spec: DramSpec) -> None:
        self.spec = spec
        self.served = 0  # requests served when the refreshes in a row began
        self.count = 0

    def refreshed(self, served: int, waiting: bool) -> None:
        if served != self.served or not waiting:
            self.served, self.count = served, 0
            return
        self.count += 1
        if self.count > REFRESH_STALL:
            p = self.spec.params
            raise PimsimError(f"{REFRESH_STALL} refreshes in a row fell due with requests queued and none served: "
                              f"a refresh every {p['nREFI']} cycles (nRFC {p['nRFC']}, nRFCpb {p['nRFCpb']}) "
                              "leaves no room for a request's commands; expected a longer refresh interval",
                              key="dram.timing.nREFI")
