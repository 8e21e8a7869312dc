"""Off-chip traffic: the bytes that cross the ASIC-PIM interface, by cause, beside the bytes a
GDDR6 system without PIM would move between DRAM and its processor for the same forward passes.

Over the interface every burst counts in full (``dram.request_bytes``; a V-cache write of one
element still occupies a 32 B burst). The causes follow the commands that carry data over the
interface:

  input_vectors        WRGB: the input vector (or its chunk) into each channel's global buffer
  results              RDMAC, RDAF16: accumulator and activation-function results back to the ASIC
  accumulator_writes   WRMAC: initial values (biases) into the accumulators
  kv_writes            WR, WRA: the mapper's only plain writes, this token's K and V
  embeddings           RD, RDA: the mapper's only plain reads, the token's wte and wpe rows

The side without PIM is counted by the simulation from the ops it ran
(``pimsim.workload.ops.memory_bytes``: weights, KV cache, embedding rows).
"""

from __future__ import annotations

INTERFACE_CAUSES: dict[str, tuple[str, ...]] = {
    "input_vectors": ("WRGB",),
    "results": ("RDMAC", "RDAF16"),
    "accumulator_writes": ("WRMAC",),
    "kv_writes": ("WR", "WRA"),
    "embeddings": ("RD", "RDA"),
}


def interface_bytes(counts: dict[str, int], burst_bytes: int) -> dict[str, int]:
    """Bytes over the ASIC-PIM interface by cause, from a run's command counts."""
    return {cause: burst_bytes * sum(counts.get(c, 0) for c in cmds) for cause, cmds in INTERFACE_CAUSES.items()}


def traffic(counts: dict[str, int], without_pim: dict[str, int], burst_bytes: int, passes: int) -> dict:
    """Per forward pass: interface bytes by cause, the bytes without PIM by cause, and the reduction
    (bytes without PIM over bytes with PIM)."""
    pim = interface_bytes(counts, burst_bytes)
    return {
        "interface_bytes_per_token": {k: v / passes for k, v in pim.items()},
        "without_pim_bytes_per_token": {k: v / passes for k, v in without_pim.items()},
        "reduction": sum(without_pim.values()) / sum(pim.values()) if sum(pim.values()) else 0.0,
    }


def kib(by_cause: dict[str, float]) -> str:
    """A by-cause byte count's total in KiB, for summaries."""
    return f"{sum(by_cause.values()) / 1024:,.1f}"
