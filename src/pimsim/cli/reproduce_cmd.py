"""``pimsim reproduce``: the PIM-GPT comparison and sensitivity studies, and their report."""

from __future__ import annotations

from pimsim.cli import COMMANDS

import json
import shutil
import sys
from pathlib import Path

from pimsim.cli.compare_cmd import PAPER_MODELS, run_comparison
from pimsim.cli.run_cmd import DEFAULT_HW
from pimsim.config import load_hwconfig
from pimsim.errors import PimsimError
from pimsim.report.reproduction import H200_BASELINES, VARIANTS, write_report
from pimsim.sweeps.spec import expand_all, load_spec, sweep_hash
from pimsim.sweeps.table import SWEEP_JSON

SWEEP_DIR = DEFAULT_HW.parent / "sweeps"


def register(sub) -> None:
    p = sub.add_parser("reproduce", help=COMMANDS["reproduce"][1])
    p.add_argument("--out", default="reports/pimgpt", help="report folder (default: reports/pimgpt)")
    p.add_argument("--prompt-tokens", type=int, default=64, help="prompt tokens per model in the comparison (default: 64)")
    p.add_argument("--output-tokens", type=int, default=64,
                   help="generated tokens per model in the comparison (default: 64)")
    p.add_argument("--workers", type=int, help="local processes for the studies (default: all cores)")
    p.add_argument("--studies", default="all",
                   help="all, none, or a comma list of hwconfigs/sweeps names (default: all)")
    p.set_defaults(func=run)


def _leading_comment(path: Path) -> str:
    """A sweep file's opening comment, up to its "Run:" line, as one paragraph."""
    words = []
    for line in path.read_text().splitlines():
        if not line.startswith("#") or line.startswith("# Run:"):
            break
        words.append(line.lstrip("#").strip())
    return " ".join(w for w in words if w)


def _fresh_or_same(folder: Path, sweep_file: Path) -> bool:
    """Whether the study's folder holds this very sweep (resume it). A study made from another
    config or version is this command's own output gone stale: it is removed and made anew."""
    marker = folder / SWEEP_JSON
    if not marker.exists():
        return False
    spec = load_spec(sweep_file)
    digest = sweep_hash(spec, expand_all(spec)[0])
    try:
        held = json.loads(marker.read_text(encoding="utf-8")).get("sweep_hash")
    except (OSError, ValueError, AttributeError):
        held = None
    if held == digest:
        return True
    print(f"{folder}: made from another config or version; recomputing it", file=sys.stderr)
    shutil.rmtree(folder)
    return False


def _simulate_all(hw, args, studies: list[str]) -> None:
    """Every simulation the report needs (the comparison's models and every study's points) in one
    pool of local workers, into the result cache; the comparison and the sweeps then read them from
    there. One pool for all keeps every worker busy to the end, where study after study would leave
    workers idle behind each study's last big model."""
    from pimsim.cache.store import ResultCache
    from pimsim.config.hashes import run_hash
    from pimsim.config.workload import resolve_workload
    from pimsim.sweeps.execute import fill_cache, local_executor
    from pimsim.sweeps.spec import Point

    points = []
    for model in PAPER_MODELS:
        w = resolve_workload(model, args.prompt_tokens, args.output_tokens)
        points.append(Point(len(points), {}, w.name, (), hw, w, run_hash(hw, w)))
    for name in studies:
        points += expand_all(load_spec(SWEEP_DIR / f"{name}.yaml"))[0]

    def say(done: int, total: int, point, outcome: dict) -> None:
        how = f"{outcome['wall_s']:.1f} s" if outcome["ok"] else "failed"
        print(f"[{done}/{total}] {point.workload} {' '.join(point.sets)} ({how})", file=sys.stderr, flush=True)

    with local_executor(args.workers) as runner:
        ran = fill_cache(runner, points, ResultCache(), say)
    print(f"reproduce: {len(points)} simulations, {len(points) - ran} from the result cache", file=sys.stderr)


def run(args) -> int:
    from pimsim.cli.main import main

    out = Path(args.out)
    hw = load_hwconfig(DEFAULT_HW)
    names = sorted(p.stem for p in SWEEP_DIR.glob("*.yaml"))
    studies = names if args.studies == "all" else [] if args.studies == "none" else args.studies.split(",")
    for name in studies:
        if name not in names:
            raise PimsimError(f"unknown study {name!r} (known: {', '.join(names)})", where="--studies")
    _simulate_all(hw, args, studies)
    run_comparison(hw, PAPER_MODELS, ["t4", "xeon-gold-6154"], args.prompt_tokens, args.output_tokens,
                   str(out / "compare"), announce=True, also={str(out / "compare-h200"): list(H200_BASELINES),
                                         str(out / "compare-calibrated"): list(VARIANTS)})
    for name in studies:
        argv = ["sweep", str(SWEEP_DIR / f"{name}.yaml"), "--out", str(out / "studies" / name), "--json"]
        if _fresh_or_same(out / "studies" / name, SWEEP_DIR / f"{name}.yaml"):
            argv.append("--resume")
        if args.workers:
            argv += ["--workers", str(args.workers)]
        if main(argv) != 0 or main(["plot", str(out / "studies" / name)]) != 0:
            raise PimsimError("a study failed; see its folder", where=str(out / "studies" / name))
    command = (f"pimsim reproduce --out {args.out} --prompt-tokens {args.prompt_tokens} "
               f"--output-tokens {args.output_tokens}")
    about = {name: _leading_comment(SWEEP_DIR / f"{name}.yaml") for name in studies}
    print(write_report(out, command, args.prompt_tokens, args.output_tokens, studies, about, hw))
    return 0
