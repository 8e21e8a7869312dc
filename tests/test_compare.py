"""pimsim compare and pimsim plot: the table, every figure, redrawing from saved tables, bad input."""

from __future__ import annotations

import csv
import json
import struct

import pandas as pd
import pytest

from pimsim.cli.main import main

FIGURES = ("speedup", "energy_efficiency", "latency_breakdown", "energy_breakdown", "token_latency")
COLUMNS = ["model", "baseline", "phase", "pim_ms_per_token", "baseline_ms_per_token", "speedup", "pim_j_per_token",
           "baseline_j_per_token", "energy_efficiency", "pim_prompt_ms_per_token", "baseline_prompt_ms_per_token",
           "prompt_speedup", "pim_prompt_j_per_token", "baseline_prompt_j_per_token", "prompt_energy_efficiency",
           "baseline_overhead_ms_per_token", "run_hash", "hw_hash", "overrides", "pimsim"]


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp")
    assert main(["compare", "--models", "all", "--baselines", "t4,xeon-gold-6154", "--prompt-tokens", "1",
                 "--output-tokens", "2", "--out", str(out), "--json"]) == 0
    return out


def test_compare_all_models_writes_the_tidy_table(comparison):
    rows = list(csv.DictReader(open(comparison / "compare.csv")))
    assert list(rows[0]) == COLUMNS
    assert len(rows) == 8 * 2
    runs = {r["model"]: r for r in csv.DictReader(open(comparison / "pim_runs.csv"))}
    for r in rows:
        assert r["phase"] == "generate"  # 1 prompt + 2 output tokens: one prompt pass, one generation pass
        assert float(r["speedup"]) == pytest.approx(float(r["baseline_ms_per_token"]) / float(r["pim_ms_per_token"]))
        assert float(r["energy_efficiency"]) > 1 and float(r["speedup"]) > 1
        assert float(r["pim_ms_per_token"]) == pytest.approx(float(runs[r["model"]]["generate_ms_per_token"]))
        assert float(r["pim_prompt_ms_per_token"]) == pytest.approx(float(runs[r["model"]]["prompt_ms_per_token"]))
        # the generation pass runs the LM head, the one prompt pass here too (it yields token 1)
        assert float(r["prompt_speedup"]) > 1


def test_compare_draws_every_figure_as_png_and_svg_of_the_expected_size(comparison):
    for stem in FIGURES:
        png, svg = comparison / f"{stem}.png", comparison / f"{stem}.svg"
        assert png.stat().st_size > 10_000 and svg.stat().st_size > 5_000
        assert png_size(png) == (800, 450)
        assert "<svg" in svg.read_text()[:500]


def test_plot_redraws_a_comparison_from_its_tables(comparison, capsys):
    before = (comparison / "speedup.svg").read_text()
    (comparison / "speedup.png").unlink()
    assert main(["plot", str(comparison)]) == 0
    assert (comparison / "speedup.png").exists()
    assert (comparison / "speedup.svg").read_text().count("<path") == before.count("<path")


def test_plot_redraws_a_run_folder(tmp_path, capsys):
    main(["run", "--model", "tiny", "--out", str(tmp_path)])
    capsys.readouterr()
    assert main(["plot", str(tmp_path)]) == 0
    assert png_size(tmp_path / "token_latency.png") == (800, 450)
    assert (tmp_path / "breakdown.svg").exists()


def bad(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("pimsim: error: ")
    return err


def test_unknown_baseline_lists_the_known_ones(capsys):
    err = bad(capsys, ["compare", "--models", "tiny", "--baselines", "t5", "--prompt-tokens", "1",
                       "--output-tokens", "1"])
    assert "t4" in err and "xeon-gold-6154" in err


def test_plot_on_a_folder_without_tables_is_refused(tmp_path, capsys):
    assert "holds no pimsim tables" in bad(capsys, ["plot", str(tmp_path)])


def test_plot_on_tables_that_are_not_pimsims_is_refused(tmp_path, capsys):
    (tmp_path / "compare.csv").write_text("a,b\n1,2\n")
    (tmp_path / "pim_runs.csv").write_text("x\n1\n")
    (tmp_path / "tokens.csv").write_text("y\n1\n")
    (tmp_path / "config.json").write_text(json.dumps({"title": "t"}))
    assert "not what pimsim writes" in bad(capsys, ["plot", str(tmp_path)])


def test_reproduce_writes_the_report_with_the_paper_ranges_beside_ours(tmp_path, capsys):
    out = tmp_path / "pimgpt"
    assert main(["reproduce", "--out", str(out), "--studies", "none", "--prompt-tokens", "1",
                 "--output-tokens", "1"]) == 0
    text = (out / "README.md").read_text()
    assert "pimsim reproduce --out" in text and "41-137x" in text and "631-1074x" in text
    assert "| speedup over the T4 | 41-137x |" in text and "| GPT3-XL: non-VMM share of the latency |" in text
    assert "## The speedup gap, located" in text and "| gpt2-small | T4 |" in text
    assert "## Against a measured GPU" in text and (out / "compare-h200" / "speedup.png").exists()
    assert "## Which baseline the paper's ranges fit" in text and "| t4-calibrated | T4 |" in text
    assert "## Assumptions that drive the differences" in text
    assert (out / "compare" / "speedup.png").exists() and (out / ".gitignore").exists()


def test_a_study_is_tabled_as_ms_per_token_per_model_and_factor_level():
    from pimsim.report.study_sections import study_table as _study_table

    res = pd.DataFrame({"preset": ["a", "b", "a", "b"], "workload": ["m1", "m1", "m2", "m2"],
                        "ms_per_token": [1.0, 2.0, 3.0, 4.25]})
    assert _study_table(res) == ["ms/token:", "", "| model | preset = a | preset = b |", "|---|---:|---:|",
                                 "| m1 | 1.0000 | 2.0000 |", "| m2 | 3.0000 | 4.2500 |"]


def test_reproduce_remakes_a_study_made_from_another_config_and_resumes_the_same_one(tmp_path, capsys):
    from pimsim.cli.reproduce_cmd import SWEEP_DIR, _fresh_or_same
    from pimsim.sweeps.spec import expand_all, load_spec, sweep_hash

    sweep = SWEEP_DIR / "overlap.yaml"
    spec = load_spec(sweep)
    folder = tmp_path / "overlap"
    folder.mkdir()
    (folder / "sweep.json").write_text(json.dumps({"sweep_hash": sweep_hash(spec, expand_all(spec)[0])}))
    assert _fresh_or_same(folder, sweep) and folder.exists()
    (folder / "sweep.json").write_text(json.dumps({"sweep_hash": "0" * 16}))
    assert not _fresh_or_same(folder, sweep) and not folder.exists()
    assert "recomputing" in capsys.readouterr().err
    assert not _fresh_or_same(folder, sweep)  # nothing there yet: a fresh run
