"""AiM ISR traces, the input format of the open GDDR6-AiM simulator (docs/references.md, "AiM traces").

One instruction a line; ``#`` starts a comment line; fields are separated by
spaces; numbers are decimal or ``0x`` hex. The fields each opcode takes:

  AiM WR_SBK GPR mask bank row      AiM RD_SBK GPR mask bank row
  AiM WR_ABK GPR mask row           (mask must name exactly one channel)
  AiM WR_GB opsize GPR mask         AiM WR_BIAS GPR mask
  AiM RD_MAC GPR mask               AiM RD_AF GPR mask
  AiM COPY_BKGB opsize mask bank row  AiM COPY_GBBK opsize mask bank row
  AiM MAC_SBK opsize mask bank row  AiM MAC_ABK opsize mask row
  AiM AF mask                       AiM EWMUL opsize mask row
  AiM EWADD opsize GPR GPR          AiM SYNC    AiM EOC (ends the trace)
  W|R MEM channel bank row          W|R GPR GPR    W CFR address value

``mask`` selects channels the AiM simulator's way: bit i is channel
(channels - 1 - i), so 0x1 is the last channel. ``opsize`` unrolls an
instruction over that many consecutive columns. ``MEM`` lines name a channel
number, not a mask. CFR 2 selects the activation function AF computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pimsim.config.validate import did_you_mean
from pimsim.errors import PimsimError

# opcode -> its fields after the opcode, in order
AIM_FIELDS: dict[str, tuple[str, ...]] = {
    "WR_SBK": ("gpr", "mask", "bank", "row"),
    "RD_SBK": ("gpr", "mask", "bank", "row"),
    "WR_ABK": ("gpr", "mask", "row"),
    "WR_GB": ("opsize", "gpr", "mask"),
    "WR_BIAS": ("gpr", "mask"),
    "RD_MAC": ("gpr", "mask"),
    "RD_AF": ("gpr", "mask"),
    "COPY_BKGB": ("opsize", "mask", "bank", "row"),
    "COPY_GBBK": ("opsize", "mask", "bank", "row"),
    "MAC_SBK": ("opsize", "mask", "bank", "row"),
    "MAC_ABK": ("opsize", "mask", "row"),
    "AF": ("mask",),
    "EWMUL": ("opsize", "mask", "row"),
    "EWADD": ("opsize", "gpr", "gpr1"),
    "SYNC": (),
    "EOC": (),
}
PLAIN_FIELDS = {"MEM": ("channel", "bank", "row"), "GPR": ("gpr",), "CFR": ("address", "value")}
CFR_ADDRESSES = {0: "broadcast", 1: "ewmul_bank_group", 2: "activation_function"}
BLOCKING = ("RD_MAC", "RD_AF", "SYNC", "EOC")  # the issuer waits for these to complete


@dataclass(frozen=True)
class AimInstruction:
    op: str  # an AiM opcode, or R_MEM / W_MEM / R_GPR / W_GPR / W_CFR
    line: int
    opsize: int = 1
    channels: tuple[int, ...] = ()  # the channels it acts on, in the AiM simulator's issue order
    bank: int = -1
    row: int = -1
    address: int = -1  # CFR address
    value: int = 0  # CFR value

    @property
    def blocking(self) -> bool:
        return self.op in BLOCKING


def _number(token: str, where: str, n: int, field: str) -> int:
    try:
        return int(token, 16) if token[:2].lower() == "0x" else int(token)
    except ValueError:
        raise PimsimError(f"{field}: expected a number, got {token!r}", where=where, key=f"line {n}") from None


def parse_aim_trace(text: str, where: str, channels: int, banks: int, rows: int) -> list[AimInstruction]:
    """Parse and check a whole trace against the device (channels, banks per channel, rows per bank)."""
    out: list[AimInstruction] = []
    ended = False
    for n, raw in enumerate(text.splitlines(), start=1):
        tokens = raw.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        if ended:
            raise PimsimError("instruction after EOC (EOC ends the trace)", where=where, key=f"line {n}")
        kind = tokens[0]
        if kind == "AiM":
            if len(tokens) < 2:
                raise PimsimError("AiM line without an opcode", where=where, key=f"line {n}")
            op = tokens[1].removeprefix("ISR_")
            if op == "WR_AFLUT":
                raise PimsimError("WR_AFLUT is not supported (the AiM simulator does not model it either)",
                                  where=where, key=f"line {n}")
            if op not in AIM_FIELDS:
                raise PimsimError(f"unknown AiM opcode {op!r}" + did_you_mean(op, list(AIM_FIELDS)),
                                  where=where, key=f"line {n}")
            names = AIM_FIELDS[op]
        elif kind in ("R", "W"):
            if len(tokens) < 2 or tokens[1] not in PLAIN_FIELDS:
                raise PimsimError(f"expected '{kind} MEM|GPR|CFR ...'", where=where, key=f"line {n}")
            if kind == "R" and tokens[1] == "CFR":
                raise PimsimError("CFRs are written, not read ('W CFR address value')", where=where, key=f"line {n}")
            op = f"{kind}_{tokens[1]}"
            names = PLAIN_FIELDS[tokens[1]]
        else:
            raise PimsimError(f"expected 'AiM', 'R' or 'W' at the start, got {kind!r}", where=where, key=f"line {n}")
        args = tokens[2:]
        if len(args) != len(names):
            usage = " ".join(names) or "no fields"
            raise PimsimError(f"{op} takes {len(names)} field(s) ({usage}), got {len(args)}",
                              where=where, key=f"line {n}")
        f = {name: _number(tok, where, n, name) for name, tok in zip(names, args)}
        out.append(_instruction(op, n, f, where, channels, banks, rows))
        ended = op == "EOC"
    if not ended:
        raise PimsimError("the trace has no EOC (the AiM simulator needs one to end)", where=where)
    return out


def _instruction(op: str, n: int, f: dict[str, int], where: str, channels: int, banks: int,
                 rows: int) -> AimInstruction:
    key = f"line {n}"

    def fail(msg: str) -> None:
        raise PimsimError(msg, where=where, key=key)

    chans: tuple[int, ...] = ()
    if "mask" in f:
        mask = f["mask"]
        if mask <= 0:
            fail(f"channel mask {mask:#x} names no channel")
        if mask >> channels:
            fail(f"channel mask {mask:#x} names channels beyond the {channels} this device has")
        chans = tuple(channels - 1 - i for i in range(channels) if mask >> i & 1)
        if op == "WR_ABK" and len(chans) != 1:
            fail(f"WR_ABK writes one channel, but mask {mask:#x} names {len(chans)}")
    if op in ("SYNC", "EOC"):
        chans = tuple(range(channels))
    if "channel" in f:
        if not 0 <= f["channel"] < channels:
            fail(f"channel {f['channel']} is beyond the {channels} channels of this device")
        chans = (f["channel"],)
    if "bank" in f and not 0 <= f["bank"] < banks:
        fail(f"bank {f['bank']} is beyond the {banks} banks of a channel")
    if "row" in f and not 0 <= f["row"] < rows:
        fail(f"row {f['row']} is beyond the bank's {rows} rows")
    if "opsize" in f and f["opsize"] < 1:
        fail(f"opsize must be at least 1, got {f['opsize']}")
    if op == "W_CFR" and f["address"] not in CFR_ADDRESSES:
        fail(f"unknown CFR address {f['address']} (known: 0 broadcast, 1 ewmul_bank_group, 2 activation_function)")
    return AimInstruction(op, n, f.get("opsize", 1), chans, f.get("bank", -1), f.get("row", -1),
                          f.get("address", -1), f.get("value", 0))


def read_aim_trace(path: str | Path, channels: int, banks: int, rows: int) -> list[AimInstruction]:
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise PimsimError(f"cannot read the trace ({exc.strerror})", where=str(path)) from None
    return parse_aim_trace(text, str(path), channels, banks, rows)
