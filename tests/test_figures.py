"""The work after a comparison's runs: row-wise intervals equal to the one-sample ones to the last bit,
the bands the plots draw, and figures drawn in worker processes equal to those drawn in this one."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t

from sim.analysis import figures, stats
from sim.analysis.compare import _bands


def test_row_intervals_are_the_one_sample_intervals_to_the_last_bit():
    rng = np.random.default_rng(3)
    for n in (2, 7, 10, 17, 30):  # numpy sums 8 or more values pairwise: the rows must be summed the same way
        samples = rng.normal(5e4, 3e4, size=(40, n))
        samples[5, 1] = np.nan
        mean, lo, hi = stats.intervals(samples.T.copy().T)  # a non-contiguous view, as pandas hands out
        ci_lo, ci_hi = stats.mean_cis(samples)
        t95 = t.ppf(0.95, n - 1)
        for k, row in enumerate(samples):
            m = np.mean(row)
            q = np.percentile(row, [50 * (1 - 0.9), 50 * (1 + 0.9)])  # 5.000000000000004: as one sample's
            assert np.array_equal([mean[k], lo[k], hi[k]], [m, *q], equal_nan=True), (n, k)
            half = t95 * np.std(row, ddof=1) / np.sqrt(n)  # Student's t, 90%
            assert np.array_equal([ci_lo[k], ci_hi[k]], [m - half, m + half], equal_nan=True), (n, k)
    lo1, hi1 = stats.mean_cis(np.ones((3, 1)))  # one value: no confidence interval
    assert np.isnan(lo1).all() and np.isnan(hi1).all() and lo1.shape == (3,)


def test_bands_are_each_scenarios_yearly_mean_and_spread():
    rows = [
        {"scenario": sc, "seed": s, "year_index": y, "x": (10.0 if sc == "b" else 0.0) + y + s}
        for sc in ("a", "b")
        for s in range(5)
        for y in (0, 1, 2)
    ]
    bands = _bands(pd.DataFrame(rows), "x", level=0.5)
    assert set(bands) == {"a", "b"}
    assert list(bands["a"].index) == [0, 1, 2]
    assert list(bands["a"]["mean"]) == [2.0, 3.0, 4.0]  # seeds 0..4 around year + 2
    assert list(bands["b"]["mean"]) == [12.0, 13.0, 14.0]
    assert list(bands["b"]["lo"]) == [11.0, 12.0, 13.0] and list(bands["b"]["hi"]) == [13.0, 14.0, 15.0]


def _draw(path):
    plt = figures.pyplot()
    fig, ax = plt.subplots(figsize=(2.5, 2.0))
    ax.plot([0, 1, 2], [0, 1, 4], marker="o", label="line")
    ax.fill_between([0, 1, 2], [0, 0, 1], [1, 2, 5], alpha=0.2, lw=0)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=60, bbox_inches="tight")
    plt.close(fig)
    return os.getpid()


@pytest.mark.slow  # starts two worker processes, which import the project (~5 s)
def test_figures_drawn_in_workers_are_the_files_drawn_here(tmp_path):
    here = figures.render(_draw, [tmp_path / "a.png"], jobs=2)  # one item: drawn in this process
    there = figures.render(_draw, [tmp_path / "b.png", tmp_path / "c.png"], jobs=2)
    assert here == [os.getpid()] and os.getpid() not in there
    png = (tmp_path / "a.png").read_bytes()
    assert len(png) > 1000 and (tmp_path / "b.png").read_bytes() == png == (tmp_path / "c.png").read_bytes()
