"""Peak memory of fit and transform against the number of trials.

For tabular input (two modalities of 16 features; 1k, 10k, 100k trials) and time series
(EEG 8 x 200, fNIRS 4 x 20; 1k, 5k trials), each size in a fresh subprocess:

- the peak resident memory (RSS) after building the data, after fitting
  :class:`~skpid.decomposition.PIDDecomposer` (tiny network, one epoch) and after
  ``transform``;
- the peak of Python/numpy allocations (``tracemalloc``) during ``transform`` alone,
  next to the size of its output: with the readout applied per batch it stays near the
  output's size;
- for tabular input, the same ``tracemalloc`` peak for
  :class:`~skpid.decomposition.LinearHCL` ``fit`` and ``transform``, next to the input's
  size (float32 input is no longer copied in float64).

    python benchmarks/bench_memory.py [--sizes tabular:1000 series:1000 ...]
"""

import argparse
import json
import resource
import subprocess
import sys
import tracemalloc

DEFAULT = ["tabular:1000", "tabular:10000", "tabular:100000", "series:1000", "series:5000"]
HEADER = (
    "| input | trials | input MB | output MB | RSS data / fit / transform MB "
    "| transform heap peak MB | LinearHCL fit / transform heap peak MB |"
)


def _rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _traced(fn):
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _child(kind, n):
    import numpy as np
    from skorch.helper import SliceDict

    from skpid.decomposition import LinearHCL, PIDDecomposer

    rng = np.random.default_rng(0)
    if kind == "tabular":
        shapes = {"eeg": (16,), "fnirs": (16,)}
    else:
        shapes = {"eeg": (8, 200), "fnirs": (4, 20)}
    X = SliceDict(**{m: rng.normal(size=(n, *s)).astype(np.float32) for m, s in shapes.items()})
    rss = [_rss_mb()]
    est = PIDDecomposer(
        n_components=4, hidden_size=8, n_tokens=2, max_epochs=1, batch_size=256, random_state=0
    ).fit(X)
    rss.append(_rss_mb())
    Z, transform_peak = _traced(lambda: est.transform(X))
    rss.append(_rss_mb())
    linear = None
    if kind == "tabular":
        lin = LinearHCL(n_components=2, structure="hierarchical")
        _, fit_peak = _traced(lambda: lin.fit(X))
        _, tr_peak = _traced(lambda: lin.transform(X))
        linear = (fit_peak, tr_peak)
    result = {
        "input_mb": sum(v.nbytes for v in X.values()) / 2**20,
        "output_mb": Z.nbytes / 2**20,
        "rss": rss,
        "transform_peak": transform_peak,
        "linear": linear,
    }
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=DEFAULT)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, n = args.child.split(":")
        _child(kind, int(n))
        return
    print(HEADER)
    print("|---|---|---|---|---|---|---|")
    for size in args.sizes:
        kind, n = size.split(":")
        res = subprocess.run(
            [sys.executable, __file__, "--child", size], capture_output=True, text=True, check=True
        )
        r = json.loads(res.stdout.strip().splitlines()[-1])
        linear = "-" if r["linear"] is None else " / ".join(f"{v:.1f}" for v in r["linear"])
        print(
            f"| {kind} | {int(n):,} | {r['input_mb']:.1f} | {r['output_mb']:.1f} | "
            f"{' / '.join(f'{v:.0f}' for v in r['rss'])} | {r['transform_peak']:.1f} | "
            f"{linear} |"
        )


if __name__ == "__main__":
    main()
