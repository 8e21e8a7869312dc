"""The PIM, ASIC and simulation sections of a hardware config."""

from __future__ import annotations

from pydantic import Field

from pimsim.config.validate import Strict


class PimConfig(Strict):
    """In-bank MAC units and the per-channel global buffer (GDDR6-AiM style)."""

    mac_lanes: int = Field(gt=0)  # multipliers per bank; one MAC command consumes mac_lanes elements of the row
    element_bytes: int = Field(gt=0)  # 2 for BF16
    mac_pipeline_cycles: int = Field(ge=0)  # DRAM cycles from the last MAC until its result can be read out
    accumulators_per_bank: int = Field(gt=0)  # results a bank can hold before they must be read out
    global_buffer_bytes: int = Field(gt=0)  # per channel: the input-vector chunk broadcast to every bank
    act16_in_faw: bool  # whether an all-bank activate is held to tFAW (AiM drops it: a power-delivery choice)


class AsicConfig(Strict):
    """The controller ASIC: vector units that do everything that is not a GEMV."""

    clock_mhz: float = Field(gt=0)
    vector_lanes: int = Field(gt=0)  # element operations per ASIC cycle
    pipeline_fill_cycles: int = Field(ge=0)  # latency of one pass through the vector pipeline
    reduction_tree: bool  # lanes reduce through an adder tree (log2 lanes stages) rather than serially
    exp_taylor_order: int = Field(gt=0)  # softmax exp by Taylor series of this order
    gelu_taylor_order: int = Field(gt=0)  # GELU's tanh by Taylor series of this order
    reciprocal_newton_iterations: int = Field(gt=0)  # softmax division: Newton-Raphson reciprocal
    rsqrt_newton_iterations: int = Field(gt=0)  # LayerNorm: fast inverse square root + Newton steps
    sram_kib: int = Field(gt=0)  # on-chip buffer for vectors (activations, partial sums)


class SimConfig(Strict):
    engine: str  # registered: fast, reference
    overlap: bool  # let independent ASIC and PIM work run at the same time
