"""The ASIC's implied silicon area in 28 nm, from its datapaths and its SRAM, per-unit figures.

Per-unit areas (Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm figures, the same source
as the energy table's per-operation energies), scaled to PIM-GPT's 28 nm by (28/45)^2 (ideal area
scaling, an assumption: real 28 nm logic gains somewhat less, so the estimate leans small):

- BF16 adder: a 16-bit floating-point adder, 1360 um^2 at 45 nm (FP16; BF16's 8-bit mantissa
  needs less, so this leans large).
- BF16 multiplier: a 16-bit floating-point multiplier, 1640 um^2 at 45 nm (same remark).
- comparator: a 16-bit integer adder (a BF16 compare is a sign-magnitude integer compare),
  70 um^2 at 45 nm, interpolated between Horowitz's 8-bit (36 um^2) and 32-bit (137 um^2) adders.
- SRAM: 0.127 um^2 per bit, TSMC's 28 nm high-density 6T cell, at an array efficiency of 50 %
  (assumption: sense amplifiers, decoders and redundancy take half of a small macro).

What is counted: the datapaths the model's ``units(cfg)`` lists and ``sram_kib`` of SRAM. Not
counted: control, instruction decode, the DRAM interface PHY, wiring. The total is the arithmetic
and storage core of the ASIC, a lower bound on the die.
"""

from __future__ import annotations

from pimsim.asic.models import asic_model
from pimsim.config.pim import AsicConfig

SCALE_45_TO_28 = (28 / 45) ** 2
ADDER_UM2 = 1360 * SCALE_45_TO_28  # Horowitz ISSCC 2014: 16-bit FP add, 45 nm
MULTIPLIER_UM2 = 1640 * SCALE_45_TO_28  # Horowitz ISSCC 2014: 16-bit FP mult, 45 nm
COMPARATOR_UM2 = 70 * SCALE_45_TO_28  # Horowitz ISSCC 2014: 16-bit int add (interpolated), 45 nm
SRAM_BIT_UM2 = 0.127  # TSMC 28 nm high-density 6T SRAM cell
SRAM_ARRAY_EFFICIENCY = 0.5  # assumption: cells are half of a small macro's area


def asic_area_mm2(cfg: AsicConfig) -> dict[str, float]:
    """Area in mm^2 by unit (each of the model's datapaths, then ``SRAM``), plus ``arithmetic`` and
    ``total``."""
    out: dict[str, float] = {}
    for name, (adds, muls, compares) in asic_model(cfg).units(cfg).items():
        out[name] = (adds * ADDER_UM2 + muls * MULTIPLIER_UM2 + compares * COMPARATOR_UM2) / 1e6
    out["arithmetic"] = sum(out.values())
    out["SRAM"] = cfg.sram_kib * 1024 * 8 * SRAM_BIT_UM2 / SRAM_ARRAY_EFFICIENCY / 1e6
    out["total"] = out["arithmetic"] + out["SRAM"]
    return out


def unit_counts(cfg: AsicConfig) -> tuple[int, int, int]:
    """(adders, multipliers, comparators) over every datapath of the model."""
    units = asic_model(cfg).units(cfg).values()
    return tuple(sum(u[i] for u in units) for i in range(3))  # type: ignore[return-value]
