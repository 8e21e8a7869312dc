"""Command line: argument parsing and wiring only.

``COMMANDS`` names every subcommand, the module that implements it and its one-line help. The entry
point imports only the module of the command it runs (``pimsim --help`` and ``--version`` import
none), so a command pays only for what it uses.
"""

COMMANDS = {
    "run": ("pimsim.cli.run_cmd", "simulate GPT generation on PIM-GPT hardware"),
    "compare": ("pimsim.cli.compare_cmd", "PIM against GPU/CPU baselines for several models, with figures"),
    "sweep": ("pimsim.cli.sweep_cmd", "run a design-space sweep (local processes or a Dask cluster)"),
    "reproduce": ("pimsim.cli.reproduce_cmd", "rerun the PIM-GPT comparison and studies; write their report"),
    "plot": ("pimsim.cli.plot_cmd", "redraw the figures of a run or comparison folder"),
    "baseline": ("pimsim.cli.baseline_cmd", "measure CPU/GPU baselines on this machine"),
    "trace": ("pimsim.cli.trace_cmd", "simulate a memory trace (DRAMsim3 format) or an AiM ISR trace"),
    "check": ("pimsim.cli.check_cmd", "validate a hardware config (and print it resolved), sweep, workload or baseline file"),
    "cache": ("pimsim.cli.cache_cmd", "show where the result cache is and what it holds, or clear it"),
}
