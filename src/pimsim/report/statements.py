"""What the PIM-GPT paper states about its own system, and whether pimsim reproduces each statement.

Pure functions from measured values to a verdict, shared by the reproduction report (values from its
saved tables) and the fidelity test (values from short fresh runs). The paper's values: Wu, Wang and
Lu, npj Unconventional Computing 1, 4 (2024): the abstract's ranges (v2), and second-hand summaries
of its body (docs/references.md, "PIM-GPT"). Thresholds where the paper gives only a qualitative
statement ("about", "near-linear") are ours, stated beside each.
"""

from __future__ import annotations

from dataclasses import dataclass

PAPER_RANGES = {  # the abstract (v2)
    ("speedup", "t4"): (41, 137), ("speedup", "xeon-gold-6154"): (631, 1074),
    ("energy_efficiency", "t4"): (123, 383), ("energy_efficiency", "xeon-gold-6154"): (320, 602),
}
PAPER_TRAFFIC_REDUCTION = (110, 259)  # off-chip traffic against a GDDR6 system without PIM
PAPER_VMM_SHARE = 0.9884  # GPT3-XL: VMM 98.84 % of the latency, everything else 1.16 %
NON_VMM_LIMIT = 0.03  # ours: non-VMM at most 3 %
PAPER_ASIC_SLOWDOWN = 0.20  # 1 GHz -> 100 MHz costs at most about 20 %
ASIC_SLOWDOWN_LIMIT = 0.25  # ours: at most 25 % on every model
CHANNEL_SCALING_LIMIT = 6.0  # ours: 1 -> 8 channels at least 6x on GPT-2 small ("near-linear")
PAPER_ROW_HIT = 0.98
ROW_HIT_BAND = (0.97, 0.99)  # ours: "about 98 %" within one point

HOLDS, PARTLY, NO = "holds", "partly", "no"


@dataclass(frozen=True)
class Statement:
    topic: str
    paper: str
    ours: str
    verdict: str  # holds | partly | no
    note: str = ""


def _span(values) -> str:
    values = list(values)
    return f"{min(values):.0f}-{max(values):.0f}x"


def range_statement(topic: str, ours, paper: tuple[float, float]) -> Statement:
    """Our per-model values against the paper's range: holds if all fall inside it, partly if the
    ranges overlap."""
    ours = list(ours)
    lo, hi = paper
    inside = all(lo <= v <= hi for v in ours)
    overlap = max(ours) >= lo and min(ours) <= hi
    return Statement(topic, f"{lo}-{hi}x", _span(ours), HOLDS if inside else PARTLY if overlap else NO)


def vmm_share_statement(vmm_share: float, asic_share: float, kv_share: float) -> Statement:
    """GPT3-XL's non-VMM share: holds at most 3 %; partly when the ASIC's own share is within it
    but the KV-cache writes push the total over."""
    non_vmm = 1 - vmm_share
    verdict = HOLDS if non_vmm <= NON_VMM_LIMIT else PARTLY if asic_share <= NON_VMM_LIMIT else NO
    return Statement("GPT3-XL: non-VMM share of the latency", f"{1 - PAPER_VMM_SHARE:.2%} (VMM {PAPER_VMM_SHARE:.2%})",
                     f"{non_vmm:.2%} (ASIC {asic_share:.2%}, KV-cache writes {kv_share:.2%})", verdict,
                     f"limit {NON_VMM_LIMIT:.0%}")


def row_hit_statement(rates: dict[str, float]) -> Statement:
    lo, hi = ROW_HIT_BAND
    values = list(rates.values())
    ok = all(lo <= r <= hi for r in values)
    return Statement("row-buffer hit rate", f"about {PAPER_ROW_HIT:.0%}", f"{min(values):.3f}-{max(values):.3f}",
                     HOLDS if ok else NO, f"band {lo:.2f}-{hi:.2f}")


def asic_clock_statement(slowdowns: dict[str, float]) -> Statement:
    """``slowdowns``: model -> latency at 100 MHz / latency at 1 GHz."""
    worst = max(slowdowns, key=slowdowns.get)
    cost = slowdowns[worst] - 1
    return Statement("ASIC 1 GHz -> 100 MHz: latency cost", f"at most about {PAPER_ASIC_SLOWDOWN:.0%}",
                     f"{min(slowdowns.values()) - 1:.1%}-{cost:.1%} (most: {worst})",
                     HOLDS if cost <= ASIC_SLOWDOWN_LIMIT else NO, f"limit {ASIC_SLOWDOWN_LIMIT:.0%} on every model")


def channel_statement(speedup: float) -> Statement:
    """``speedup``: GPT-3 small's latency on 1 channel / on 8 (the smallest model: the only one that fits 1 channel)."""
    return Statement("channels 1 -> 8 (GPT-3 small)", "near-linear", f"{speedup:.2f}x (ideal 8x)",
                     HOLDS if speedup >= CHANNEL_SCALING_LIMIT else NO, f"limit {CHANNEL_SCALING_LIMIT:.0f}x")


def traffic_statement(reductions: dict[str, float]) -> Statement:
    return range_statement("off-chip traffic cut against GDDR6 without PIM", reductions.values(), PAPER_TRAFFIC_REDUCTION)


def markdown(statements: list[Statement]) -> list[str]:
    out = ["| statement | paper | pimsim | verdict | threshold |", "|---|---|---|---|---|"]
    out += [f"| {s.topic} | {s.paper} | {s.ours} | {s.verdict} | {s.note} |" for s in statements]
    return out
