"""A DRAM device ready to simulate: resolved config + command set + compiled rule table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from pimsim.config.dram import DramConfig
from pimsim.dram.commands import BASE_COMMANDS, Command
from pimsim.dram.rules import BASE_RULES, CompiledRule, Rule, compile_rules

Addr = tuple[int, int, int, int]  # (channel, rank, bank group, bank); entries below a command's level are ignored


@dataclass(frozen=True)
class DramSpec:
    cfg: DramConfig
    commands: tuple[Command, ...]
    rules: tuple[Rule, ...]
    params: dict[str, int]
    compiled: tuple[CompiledRule, ...] = field(repr=False)

    @property
    def cmd_id(self) -> dict[str, int]:
        return {c.name: i for i, c in enumerate(self.commands)}

    @property
    def fanout(self) -> tuple[int, int, int, int]:
        """Children per node at each level: channels, ranks/channel, groups/rank, banks/group."""
        c = self.cfg
        return (c.channels, c.ranks, c.bank_groups, c.banks_per_group)

    def level_sizes(self) -> list[int]:
        sizes, n = [], 1
        for f in self.fanout:
            n *= f
            sizes.append(n)
        return sizes

    def node_index(self, level: int, addr: Addr) -> int:
        """Flat index of the node at ``level`` on ``addr``'s path."""
        idx = 0
        for lvl in range(level + 1):
            idx = idx * self.fanout[lvl] + addr[lvl]
        return idx

    def bank_span(self, level: int, addr: Addr) -> range:
        """Flat bank indices covered by the node at ``level`` on ``addr``'s path."""
        per = 1
        for f in self.fanout[level + 1:]:
            per *= f
        start = self.node_index(level, addr) * per
        return range(start, start + per)

    def addr_of_bank(self, bank: int) -> Addr:
        out = []
        for f in reversed(self.fanout):
            out.append(bank % f)
            bank //= f
        return tuple(reversed(out))  # type: ignore[return-value]


def build_spec(cfg: DramConfig, extra_commands: Iterable[Command] = (), extra_rules: Iterable[Rule] = (),
               extra_params: dict[str, int] | None = None) -> DramSpec:
    """The base JEDEC command set and rules, plus any extension (the PIM command set)."""
    commands = BASE_COMMANDS + tuple(extra_commands)
    rules = BASE_RULES + tuple(extra_rules)
    params = {**cfg.timing, "nBL": cfg.n_bl, **(extra_params or {})}
    compiled = tuple(compile_rules(rules, commands, params))
    return DramSpec(cfg, commands, rules, params, compiled)


