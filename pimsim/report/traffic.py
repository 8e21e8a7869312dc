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

Without PIM, every GEMV streams its whole weight matrix, attention reads the K and V of every
cached token, the new K and V are written, and the token and position embedding rows are read
(``pimsim.workload.ops``: ``weight_bytes``, ``kv_bytes``). Vectors between ops are assumed to
stay on the processor (caches or registers), as they stay in the ASIC's buffer with PIM.
"""

from __future__ import annotations

from pimsim.workload.ops import generation_ops, kv_bytes, weight_bytes

INTERFACE_CAUSES: dict[str, tuple[str, ...]] = {
    "input_vectors": ("WRGB",),
    "results": ("RDMAC", "RDAF16"),
    "accumulator_writes": ("WRMAC",),
    "kv_writes": ("WR", "WRA"),
    "embeddings": ("RD", "RDA"),
}
EMBEDDING_ROWS = 2  # a token's wte row and its position's wpe row


def interface_bytes(counts: dict[str, int], burst_bytes: int) -> dict[str, int]:
    """Bytes over the ASIC-PIM interface by cause, from a run's command counts."""
    return {cause: burst_bytes * sum(counts.get(c, 0) for c in cmds) for cause, cmds in INTERFACE_CAUSES.items()}


def without_pim_bytes(workload, dtype_bytes: int) -> dict[str, int]:
    """Bytes a processor without PIM moves to and from DRAM over the run's forward passes."""
    out = {"weights": 0, "kv_cache": 0, "activations": 0}
    for _, _, ops in generation_ops(workload):
        for op in ops:
            out["weights"] += weight_bytes(op, dtype_bytes)
            out["kv_cache"] += kv_bytes(op, dtype_bytes)
            if op.kind == "embed":
                out["activations"] += EMBEDDING_ROWS * op.elements * dtype_bytes
    return out


def traffic(counts: dict[str, int], workload, burst_bytes: int, dtype_bytes: int, passes: int) -> dict:
    """Per forward pass: interface bytes by cause, the bytes without PIM by cause, and the reduction
    (bytes without PIM over bytes with PIM)."""
    pim = interface_bytes(counts, burst_bytes)
    plain = without_pim_bytes(workload, dtype_bytes)
    return {
        "interface_bytes_per_token": {k: v / passes for k, v in pim.items()},
        "without_pim_bytes_per_token": {k: v / passes for k, v in plain.items()},
        "reduction": sum(plain.values()) / sum(pim.values()) if sum(pim.values()) else 0.0,
    }


def kib(by_cause: dict[str, float]) -> str:
    """A by-cause byte count's total in KiB, for summaries."""
    return f"{sum(by_cause.values()) / 1024:,.1f}"
