"""Timing rules as data, and their compilation to integer tables.

A rule (level, preceding, following, latency, window, sibling) reads: when a
command in ``preceding`` issues at cycle t, a command in ``following`` that
shares the rule's node with it may not issue before t + latency. Two commands
share a node at ``level`` when their addresses agree down to that level; a
command addressed above the level (PREA, REFab) covers every node below it.
With ``window`` = W the rule counts the W most recent preceding commands
(tFAW: the fifth ACT waits nFAW after the first of the last four). With
``sibling`` the rule binds commands on *different* nodes of that level under
one parent (rank-to-rank turnarounds).

The engine, the fast engines and the protocol checker all read this one
table; ``"*"`` stands for every command and ``"*array"`` for every command that
needs the device's array mode (all of them, unless a PIM command set adds
register commands reached through a mode switch). Latencies are expressions over the
resolved timing parameters (plus nBL, the burst's bus cycles).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterable

from pimsim.dram.commands import BANK, BANK_GROUP, CHANNEL, RANK, Command
from pimsim.errors import PimsimError


@dataclass(frozen=True)
class Rule:
    level: int
    preceding: tuple[str, ...]
    following: tuple[str, ...]
    latency: str
    window: int = 1
    sibling: bool = False
    source: str = ""

    def describe(self) -> str:
        from pimsim.dram.commands import LEVELS

        win = f" (window {self.window})" if self.window > 1 else ""
        sib = " other-" if self.sibling else " same-"
        return f"{'/'.join(self.preceding)} -> {'/'.join(self.following)}{sib}{LEVELS[self.level]}: {self.latency}{win}"


RD_ = ("RD", "RDA")
WR_ = ("WR", "WRA")
PRE_ = ("PRE", "PREA")
REF_ = ("REFab", "REFpb")

# JEDEC JESD79-4 (DDR4) / JESD250 (GDDR6) timing relations, in the shape of
# Ramulator 2's tables (level, preceding, following, latency, window).
BASE_RULES: tuple[Rule, ...] = (
    # channel: one command bus, one data bus
    Rule(CHANNEL, ("*",), ("*",), "1", source="one command per cycle on the command bus"),
    Rule(CHANNEL, RD_, RD_, "nBL", source="data bus occupancy"),
    Rule(CHANNEL, WR_, WR_, "nBL", source="data bus occupancy"),
    Rule(CHANNEL, RD_, WR_, "nCL + nBL + 2 - nCWL", source="read-to-write turnaround: RL + BL/2 + 2 - WL"),
    # rank
    Rule(RANK, RD_, RD_, "nCCDS", source="tCCD_S"),
    Rule(RANK, WR_, WR_, "nCCDS", source="tCCD_S"),
    Rule(RANK, WR_, RD_, "nCWL + nBL + nWTRS", source="tWTR_S after the end of write data"),
    Rule(RANK, RD_, RD_, "nBL + nRTRS", sibling=True, source="rank switch"),
    Rule(RANK, WR_, WR_, "nBL + nRTRS", sibling=True, source="rank switch"),
    Rule(RANK, RD_, WR_, "nCL + nBL + nRTRS - nCWL", sibling=True, source="rank switch"),
    Rule(RANK, WR_, RD_, "nCWL + nBL + nRTRS - nCL", sibling=True, source="rank switch"),
    Rule(RANK, ("ACT",), ("ACT",), "nRRDS", source="tRRD_S"),
    Rule(RANK, ("ACT",), ("ACT",), "nFAW", window=4, source="tFAW: at most four ACTs in a window"),
    Rule(RANK, ("REFab",), ("*array",), "nRFC",
         source="tRFC(ab): no access command while the rank refreshes (JEDEC: between REFs and before any access)"),
    Rule(RANK, ("REFpb",), ("ACT", "REFpb"), "nRRDS", source="assumption: REFpb spaced like an ACT (tRREFD ~ tRRD)"),
    Rule(RANK, ("ACT",), ("REFpb",), "nRRDS", source="assumption: REFpb spaced like an ACT"),
    # bank group
    Rule(BANK_GROUP, RD_, RD_, "nCCDL", source="tCCD_L"),
    Rule(BANK_GROUP, WR_, WR_, "nCCDL", source="tCCD_L"),
    Rule(BANK_GROUP, WR_, RD_, "nCWL + nBL + nWTRL", source="tWTR_L after the end of write data"),
    Rule(BANK_GROUP, ("ACT",), ("ACT",), "nRRDL", source="tRRD_L"),
    # bank
    Rule(BANK, ("ACT",), ("ACT",), "nRC", source="tRC"),
    Rule(BANK, ("ACT",), RD_, "nRCDRD", source="tRCD (read)"),
    Rule(BANK, ("ACT",), WR_, "nRCDWR", source="tRCD (write)"),
    Rule(BANK, ("ACT",), PRE_, "nRAS", source="tRAS"),
    Rule(BANK, PRE_, ("ACT",), "nRP", source="tRP"),
    Rule(BANK, ("RD",), PRE_, "nRTP", source="tRTP"),
    Rule(BANK, ("WR",), PRE_, "nCWL + nBL + nWR", source="tWR after the end of write data"),
    Rule(BANK, ("RDA",), ("ACT",), "nRTP + nRP", source="auto-precharge after tRTP, then tRP"),
    Rule(BANK, ("WRA",), ("ACT",), "nCWL + nBL + nWR + nRP", source="auto-precharge after tWR, then tRP"),
    Rule(BANK, ("ACT",), REF_, "nRC", source="REF needs the bank idle: tRC after ACT"),
    Rule(BANK, PRE_, REF_, "nRP", source="REF needs the bank precharged: tRP"),
    Rule(BANK, ("RDA",), REF_, "nRTP + nRP", source="auto-precharge, then tRP"),
    Rule(BANK, ("WRA",), REF_, "nCWL + nBL + nWR + nRP", source="auto-precharge, then tRP"),
    Rule(BANK, ("REFpb",), ("ACT", "REFpb"), "nRFCpb", source="tRFCpb"),
)


def eval_latency(expr: str, params: dict[str, int]) -> int:
    """Evaluate ``nCL + nBL + 2 - nCWL``-style expressions (names, ints, + - *, max, min)."""

    def ev(node: ast.AST) -> int:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in params:
                raise PimsimError(f"timing rule uses unknown parameter {node.id}", key=expr)
            return params[node.id]
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            a, b = ev(node.left), ev(node.right)
            return a + b if isinstance(node.op, ast.Add) else a - b if isinstance(node.op, ast.Sub) else a * b
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("max", "min")
                and node.args and not node.keywords):
            fn = max if node.func.id == "max" else min
            return fn(ev(a) for a in node.args)
        raise PimsimError("unsupported expression in timing rule", key=expr)

    return ev(ast.parse(expr, mode="eval"))


@dataclass(frozen=True)
class CompiledRule:
    """A rule with names resolved: command ids and an integer latency."""

    index: int  # position in the rule table
    level: int
    preceding: frozenset[int]
    following: tuple[int, ...]
    latency: int
    window: int
    sibling: bool


def compile_rules(rules: Iterable[Rule], commands: tuple[Command, ...], params: dict[str, int]) -> list[CompiledRule]:
    """Resolve names and latencies; unknown command names are an error."""
    ids = {c.name: i for i, c in enumerate(commands)}

    def resolve(names: tuple[str, ...]) -> list[int]:
        return [ids[n] for n in command_names(names, commands)]

    out = []
    for i, rule in enumerate(rules):
        out.append(CompiledRule(i, rule.level, frozenset(resolve(rule.preceding)), tuple(resolve(rule.following)),
                                eval_latency(rule.latency, params), rule.window, rule.sibling))
    return out


def command_names(names: tuple[str, ...], commands: tuple[Command, ...]) -> list[str]:
    """A rule's command list with its wildcard expanded; unknown names are an error."""
    if names == ("*",):
        return [c.name for c in commands]
    if names == ("*array",):
        return [c.name for c in commands if c.mode == "array"]
    known = {c.name for c in commands}
    missing = [n for n in names if n not in known]
    if missing:
        raise PimsimError(f"timing rule names unknown command(s) {missing}")
    return list(names)
