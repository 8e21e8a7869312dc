"""The PIM, ASIC and simulation sections of a hardware config."""

from __future__ import annotations

from typing import Literal

from pimsim.config.strict import Field, Strict


class RegisterPathConfig(Strict):
    """How the host reaches the PIM registers (global buffer, accumulators): the register path.

    In GDDR6-AiM the register commands (WRGB, RDMAC, WRMAC, RDAF) reuse the column-command
    encoding and are told apart from array commands by a device mode, so switching between
    them costs a mode-switch command (TMOD) and a fixed delay each way. Registers sit at the
    I/O, so their read and write latencies are short, not CL/CWL. Whether the issuer waits for
    each result read, and whether it closes a row at the end of a burst or only when another
    row is needed, are properties of the controller, not of the DRAM.
    """

    mode_switch_cycles: int = Field(ge=0)  # TMOD -> next command; 0: no separate register mode (no TMOD)
    read_latency_cycles: int = Field(ge=0)  # register read (RDMAC, RDAF) to data, like CL (nCLREG)
    write_latency_cycles: int = Field(ge=0)  # accumulator write (WRMAC) data delay, like CWL (nCWLREG)
    gb_write_latency_cycles: int = Field(ge=0)  # global-buffer write (WRGB) data delay, like CWL (nCWLGB)
    read_to_write_cycles: int = Field(ge=0)  # bus turnaround slack: register read -> write waits RL + nBL + this - WL
    block_on_result_read: bool  # the issuer waits for every result read to complete before the next command
    block_cycles: int = Field(ge=0)  # with blocking: cycles from the read's data to the next command
    precharge: Literal["eager", "lazy"]  # close a row when its burst ends | only when a command needs it closed
    registers_during_refresh: bool  # register commands (and the mode switch) may issue while the banks refresh


class PimConfig(Strict):
    """In-bank MAC units and the per-channel global buffer (GDDR6-AiM style)."""

    mac_lanes: int = Field(gt=0)  # multipliers per bank; one MAC command consumes mac_lanes elements of the row
    element_bytes: int = Field(gt=0)  # 2 for BF16
    mac_pipeline_cycles: int = Field(ge=0)  # DRAM cycles from the last MAC until its result can be read out
    accumulators_per_bank: int = Field(gt=0)  # results a bank can hold before they must be read out
    global_buffer_bytes: int = Field(gt=0)  # per channel: the input-vector chunk broadcast to every bank
    act16_in_faw: bool  # whether an all-bank activate is held to tFAW (AiM drops it: a power-delivery choice)
    register_path: RegisterPathConfig


class AsicConfig(Strict):
    """The controller ASIC: the units that do everything that is not a GEMV."""

    model: str  # registered (pimsim.asic.models): pipelined (function units, streaming) | simd (vector unit)
    clock_mhz: float = Field(gt=0)
    vector_lanes: int = Field(gt=0)  # simd: element operations per cycle; pipelined: elements per cycle per unit
    pipeline_fill_cycles: int = Field(ge=0)  # simd: latency of one pass through the vector pipeline
    reduction_tree: bool  # lanes reduce through an adder tree (log2 lanes stages) rather than serially
    exp_taylor_order: int = Field(gt=0)  # softmax exp by Taylor series of this order
    gelu_taylor_order: int = Field(gt=0)  # GELU's tanh by Taylor series of this order
    reciprocal_newton_iterations: int = Field(gt=0)  # softmax division: Newton-Raphson reciprocal
    rsqrt_newton_iterations: int = Field(gt=0)  # LayerNorm: fast inverse square root + Newton steps
    sram_kib: int = Field(gt=0)  # on-chip buffer for vectors (activations, partial sums)


class SimConfig(Strict):
    engine: str  # registered: fast, reference
    overlap: bool  # let independent ASIC and PIM work run at the same time
