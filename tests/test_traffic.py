"""Off-chip traffic: every burst over the ASIC-PIM interface accounted for, against a hand count."""

from __future__ import annotations

from pimsim.config import load_hwconfig
from pimsim.config.workload import resolve_workload
from pimsim.report.run_summary import metrics
from pimsim.report.traffic import interface_bytes
from pimsim.sim.generation import simulate_generation
from pimsim.workload.ops import generation_ops, memory_bytes


def test_tiny_one_pass_moves_the_hand_counted_bursts_and_bytes():
    """tiny (2 layers, d 64, 2 heads of 32, d_ff 256, vocab 512) at position 0 on 8 channels x 16 banks,
    32 B bursts (16 BF16). A matrix's row i lies in global bank i % 128, so R rows fill channels
    0..ceil(R/16)-1 and a bank of channel c holds ceil((R - 16c) / 128) of them; each channel gets the
    input once per row it packs (GbWrite of held x cols) and reads one result burst per row it holds.

    Inputs (WRGB), per layer: qkv 192x64: channels 0-3 hold 2 rows (8 bursts), 4-7 hold 1 (4) = 48;
    proj 64x64: channels 0-3, 4 each = 16; fc1 256x64: 8 channels x 2 rows x 4 = 64; fc2 64x256:
    channels 0-3 x 16 = 64; q.K^T over one cached token: 4 (channel 0); scores.V: 1 per head = 2.
    That is 198 per layer, 396 for two, plus the LM head 512x64: 8 channels x 4 rows x 4 = 128: 524.
    Results (RDMAC), per layer: qkv 4x2 + 4x1 = 12, proj 4, fc1 16, fc2 4, q.K^T 2 (two heads in
    its segment), scores.V 2 features per bank x 2 heads = 4: 42; two layers 84, LM head 8 x 4 = 32: 116.
    KV writes (WR), per layer: K 64 elements = 4 bursts; V one burst per feature per bank: 2 heads
    x 16 banks x 2 features = 64: 68, so 136. Embeddings (RD): a wte and a wpe row of 64: 8.
    """
    hw = load_hwconfig("hwconfigs/pimgpt.yaml")
    res = simulate_generation(hw, resolve_workload("tiny", 1, 1))
    counts = res.command_counts
    assert (counts["WRGB"], counts["RDMAC"], counts["WR"], counts["RD"]) == (524, 116, 136, 8)
    assert interface_bytes(counts, 32) == {"input_vectors": 524 * 32, "results": 116 * 32, "accumulator_writes": 0,
                                           "kv_writes": 136 * 32, "embeddings": 8 * 32}
    # Without PIM, weights: per layer (192x64 + 64x64 + 256x64 + 64x256) x 2 B = 98304; two layers and
    # the LM head's 512 x 64 x 2 B = 262144.
    # KV: per layer K and V of one token read (2 x 64 x 2 B) and written (128 x 2 B) = 512; two: 1024.
    # Embedding rows: 2 x 64 x 2 B = 256.
    assert res.without_pim_bytes == {"weights": 262144, "kv_cache": 1024, "activations": 256}
    t = metrics(res)["traffic"]
    assert sum(t["interface_bytes_per_token"].values()) == 784 * 32
    assert t["reduction"] == (262144 + 1024 + 256) / (784 * 32)


def test_kv_cache_bytes_without_pim_grow_with_the_cached_tokens():
    w = resolve_workload("tiny", 3, 0)  # positions 0, 1, 2: 1, 2, 3 cached tokens
    m = w.model
    kv = sum(m.layers * (2 * m.heads * m.d_head * cached + 2 * m.d_model) * 2 for cached in (1, 2, 3))
    assert sum(memory_bytes(op, 2)["kv_cache"] for _, _, ops in generation_ops(w) for op in ops) == kv


def test_the_side_without_pim_counts_the_passes_simulated_not_the_models_default():
    """An op trace (or any ``passes``) may hold fewer passes than the workload's token counts."""
    hw = load_hwconfig("hwconfigs/pimgpt.yaml")
    w = resolve_workload("tiny", 1, 1)
    longer = resolve_workload("tiny", 4, 4)
    res = simulate_generation(hw, longer, passes=list(generation_ops(w)))
    assert res.without_pim_bytes == {"weights": 262144, "kv_cache": 1024, "activations": 256}
