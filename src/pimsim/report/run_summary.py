"""The results of ``pimsim run``: the metrics object, and the run folder's files.

Run folder (``--out``, default reports/runs/<model>-<hw>-<hash>):
  config.json      run_hash, hw_hash, pimsim version, the resolved hardware config, the overrides
                   applied to it (``--set``, API overrides) and the resolved workload
  ops.csv          per op: kind, calls, dram_cycles, seconds, share, and DRAM cycles by category
                   (vmm_dram_cycles, asic_dram_cycles, transfer_dram_cycles, refresh_dram_cycles)
  tokens.csv       per forward pass: position, phase (prompt or generate), context, dram_cycles, ms, mJ
  summary.json     the metrics below and the overrides (``pimsim run --json`` adds the wall time)
  summary.md       a readable summary
Every file is a function of the inputs: same inputs, same bytes, whether the run was simulated or
read from the result cache (the wall-clock time goes to the terminal only).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from pimsim import __version__
from pimsim.config.hashes import run_hash
from pimsim.energy.table import energy_pj
from pimsim.pim.actions import action_counts
from pimsim.report.traffic import kib, traffic
from pimsim.sim.generation import RunResult
from pimsim.workload.ops import EMBEDS

COLUMN_CMDS = ("MAC16", "MAC", "RD", "RDA", "WR", "WRA")
ACTIVATES = ("ACT", "ACT4", "ACT16")


def result_hash(res: RunResult) -> str:
    """The run's ``run_hash`` (pimsim.config.hashes), the op trace's digest included when it came from one."""
    return run_hash(res.hw, res.workload, res.extra.get("ops_digest"))


def metrics(res: RunResult) -> dict:
    """Every metric of the run: a function of the inputs (no wall time)."""
    hw, d = res.hw, res.hw.dram
    tck = d.tck_ns * 1e-9
    seconds = res.cycles * tck
    passes = len(res.tokens)
    batch = res.workload.generation.batch
    counts = res.command_counts
    energy = energy_pj(action_counts(counts, d), hw.energy, seconds, d.channels, res.asic, hw.source)
    columns = sum(counts.get(c, 0) for c in COLUMN_CMDS)
    acts = sum(counts.get(c, 0) for c in ACTIVATES)
    mac_slots = d.channels * d.banks_per_rank * hw.pim.mac_lanes * res.cycles / d.timing["nCCDL"]
    return {
        "model": res.workload.name,
        "hw": hw.name,
        "run_hash": result_hash(res),
        "hw_hash": hw.hw_hash,
        "pimsim": __version__,
        "engine": hw.sim.engine,
        "overlap": hw.sim.overlap,
        "prompt_tokens": res.workload.generation.prompt_tokens,
        "output_tokens": res.workload.generation.output_tokens,
        "batch": batch,
        "forward_passes": passes,
        "total_cycles": res.cycles,
        "latency_s": seconds,
        "ms_per_token": seconds * 1e3 / passes,  # per step: each sequence's time per token
        "tokens_per_s": batch * passes / seconds,  # the whole batch's
        "energy_j": sum(energy.values()) * 1e-12,
        "j_per_token": sum(energy.values()) * 1e-12 / (batch * passes),
        "row_hit_rate": 1 - acts / columns if columns else 0.0,
        "mac_utilization": res.useful_macs / mac_slots if mac_slots else 0.0,
        "breakdown_s": {k: v * tck for k, v in res.breakdown_cycles.items()},
        "energy_breakdown_j": {k: v * 1e-12 for k, v in energy.items()},
        "counts": dict(sorted(counts.items())),
        "refreshes": res.refreshes,
        "mapping": res.placement.summary(),
        "traffic": traffic(counts, res.without_pim_bytes, d.request_bytes, passes),
        "phases": phase_metrics(res),
        "work_s": {k: v * tck for k, v in work_cycles(res).items()},
        "vmm_share": vmm_share(res),
    }


VMM_KINDS = ("gemv", "attn_score", "attn_value")
PIM_PARTS = ("vmm", "transfer", "refresh")


def work_cycles(res: RunResult) -> dict[str, int]:
    """Cycles by the work that takes them, summing to the run: ``vmm`` the PIM instructions of the
    GEMVs and attention (MAC bursts with the input loads and result reads they are decoded into, and
    refresh inside them); ``asic`` the ASIC time not hidden behind them; ``kv_write`` and ``embedding``
    the PIM time of KV-cache writes and embedding-row reads."""
    out = {"vmm": 0, "asic": 0, "kv_write": 0, "embedding": 0}
    for row in res.op_cycles.values():
        pim = sum(row.get(k, 0) for k in PIM_PARTS)
        kind = row["kind"]
        key = "vmm" if kind in VMM_KINDS else "kv_write" if kind == "kv_write" else "embedding" if kind in EMBEDS else None
        if key is not None:
            out[key] += pim
        out["asic"] += row.get("asic", 0) + (pim if key is None else 0)
    return out


def vmm_share(res: RunResult) -> float:
    """The VMM instructions' share of the run's latency (the PIM-GPT paper's VMM share)."""
    work = work_cycles(res)
    total = sum(work.values())
    return work["vmm"] / total if total else 0.0


def phase_metrics(res: RunResult) -> dict:
    """Latency and energy of the prompt passes and of the generation passes, apart (phases with
    passes only). The two add up to the run's totals."""
    hw, d = res.hw, res.hw.dram
    tck = d.tck_ns * 1e-9
    out = {}
    for name, ph in res.phases.items():
        if not ph.passes:
            continue
        seconds = ph.cycles * tck
        joules = _joules(hw, ph.command_counts, seconds, ph.asic)
        out[name] = {"passes": ph.passes, "latency_s": seconds, "ms_per_token": seconds * 1e3 / ph.passes,
                     "energy_j": joules, "j_per_token": joules / (ph.passes * res.workload.generation.batch)}
    return out


def _csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return buf.getvalue()


def op_rows(res: RunResult) -> list[dict]:
    tck = res.hw.dram.tck_ns * 1e-9
    rows = []
    for name, r in res.op_cycles.items():
        rows.append({"op": name, "kind": r["kind"], "calls": r["calls"], "dram_cycles": r["cycles"],
                     "seconds": f"{r['cycles'] * tck:.9g}", "share": f"{r['cycles'] / res.cycles:.6f}",
                     **{f"{k}_dram_cycles": r.get(k, 0) for k in ("vmm", "asic", "transfer", "refresh")}})
    return rows


def token_rows(res: RunResult) -> list[dict]:
    hw, d = res.hw, res.hw.dram
    tck_ms = d.tck_ns * 1e-6
    return [{"position": t.position, "phase": "prompt" if t.prompt else "generate", "context": t.context,
             "dram_cycles": t.cycles, "ms": f"{t.cycles * tck_ms:.6f}",
             "mj": f"{_joules(hw, t.command_counts, t.cycles * tck_ms * 1e-3, t.asic) * 1e3:.9g}"}
            for t in res.tokens]


def _joules(hw, counts: dict, seconds: float, asic) -> float:
    d = hw.dram
    return sum(energy_pj(action_counts(counts, d), hw.energy, seconds, d.channels, asic, hw.source).values()) * 1e-12


def markdown(m: dict) -> str:
    b, e, t = m["breakdown_s"], m["energy_breakdown_j"], m["traffic"]
    lines = [
        f"# pimsim run: {m['model']} on {m['hw']}",
        "",
        f"- forward passes: {m['forward_passes']} ({m['prompt_tokens']} prompt, {m['output_tokens']} generated)",
        *([f"- batch: {m['batch']} sequences in lockstep (ms per token: per step, every sequence's; tokens/s "
           f"and mJ per token: over the batch)"] if m["batch"] > 1 else []),
        f"- latency: {m['latency_s'] * 1e3:.4f} ms total, {m['ms_per_token']:.4f} ms per token, "
        f"{m['tokens_per_s']:.1f} tokens/s",
        f"- energy: {m['energy_j'] * 1e3:.4f} mJ total, {m['j_per_token'] * 1e3:.4f} mJ per token",
        *[f"- {name} passes: {p['passes']}, {p['ms_per_token']:.4f} ms and {p['j_per_token'] * 1e3:.4f} mJ per token"
          for name, p in m["phases"].items()],
        f"- VMM instructions {m['vmm_share']:.2%} of the latency; the rest: "
        + ", ".join(f"{k} {v / m['latency_s']:.2%}" for k, v in m["work_s"].items() if k != "vmm"),
        f"- row-hit rate {m['row_hit_rate']:.4f}, MAC utilization {m['mac_utilization']:.4f}, "
        f"refreshes {m['refreshes']}",
        f"- engine {m['engine']}, overlap {m['overlap']}; run_hash {m['run_hash']}, hw_hash {m['hw_hash']}, "
        f"pimsim {m['pimsim']}",
        f"- off-chip traffic: {kib(t['interface_bytes_per_token'])} KiB per token over the ASIC-PIM interface, "
        f"{kib(t['without_pim_bytes_per_token'])} KiB without PIM ({t['reduction']:.1f}x less)",
        "",
        "| time | s | share |",
        "|---|---|---|",
        *[f"| {k} | {v:.6g} | {v / m['latency_s']:.1%} |" for k, v in b.items()],
        "",
        "| energy | J | share |",
        "|---|---|---|",
        *[f"| {k} | {v:.6g} | {v / m['energy_j']:.1%} |" for k, v in e.items()],
        "",
    ]
    return "\n".join(lines)


def run_record(res: RunResult) -> dict:
    """What the result cache keeps of a run and the run folder is written from: the metrics, the
    per-op rows and the per-pass rows."""
    return {"metrics": metrics(res), "ops": op_rows(res), "tokens": token_rows(res)}


def write_run(folder: Path, record: dict, hw, workload) -> None:
    """Write every file of the run folder from a run record (a fresh run's or the cache's); on
    failure nothing half-written is left under its name. ``hw.overrides`` are recorded."""
    m = record["metrics"]
    overrides = list(hw.overrides)
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "config.json": json.dumps({"run_hash": m["run_hash"], "hw_hash": m["hw_hash"], "pimsim": m["pimsim"],
                                   "hw": hw.resolved(), "overrides": overrides,
                                   "workload": workload.model_dump(mode="json")}, indent=2, sort_keys=True),
        "ops.csv": _csv(record["ops"]),
        "tokens.csv": _csv(record["tokens"]),
        "summary.json": json.dumps({**m, "overrides": overrides}, indent=2, sort_keys=True),
        "summary.md": markdown(m),
    }
    for name, text in files.items():
        tmp = folder / f".{name}.tmp"
        tmp.write_text(text + ("" if text.endswith("\n") else "\n"))
        tmp.replace(folder / name)
