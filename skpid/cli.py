"""The ``skpid`` command.

``skpid demo`` simulates paired EEG + fNIRS trials with known redundant, unique and
synergistic factors, fits a PIDDecomposer on 8 subjects without and with physiological
priors, and shows which learned block carries which factor on the 2 others (probes trained
on the training subjects), next to the priors' own features and classical baselines; it
saves a heatmap.
``skpid simulate`` only simulates and shows where each factor can be decoded from (EEG
alone, fNIRS alone, both) with hand-built features.
``skpid evaluate`` runs named pipelines (or those of a Python file) across subjects or
sessions of simulated data, a dataset of :mod:`skpid.datasets` or your own mne epochs
files, and writes a results table, figures and a paired comparison of the two best (see
:mod:`skpid.model_selection._command`).
"""

import argparse
import sys
import time

import numpy as np


def _summary(data):
    lines = []
    n = len(data.y)
    lines.append(f"{n} trials from {len(np.unique(data.groups))} subjects")
    for name, arr in data.X.items():
        info = data.info[name]
        dur = arr.shape[-1] / info["sfreq"]
        types = sorted(set(info["ch_types"]))
        lines.append(
            f"  {name:6s} {arr.shape[1]:3d} channels ({'/'.join(types)}) x {arr.shape[-1]} "
            f"samples, {info['sfreq']:g} Hz, {dur:g} s, {arr.dtype}"
        )
    lines.append("factors (label counts):")
    for col in ("R", "U_eeg", "U_fnirs", "S", "S_eff"):
        if col in data.factors:
            counts = data.factors[col].value_counts().sort_index()
            lines.append(f"  {col:8s} " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    return "\n".join(lines)


def _simulate(args):
    from skpid.datasets import make_eeg_fnirs
    from skpid.model_selection import factor_decodability

    t0 = time.perf_counter()
    data = make_eeg_fnirs(
        n_subjects=args.n_subjects, n_trials=args.n_trials, random_state=args.random_state
    )
    print(f"Simulated in {time.perf_counter() - t0:.1f} s")
    print(_summary(data))
    if args.no_placement:
        return 0
    print(
        "\nWhere each factor can be decoded from: chance-normalised balanced accuracy, "
        "(bacc - chance) / (1 - chance),\nhand-built features, gradient-boosted trees, "
        f"{args.cv}-fold CV (this takes a minute or two) ..."
    )
    t0 = time.perf_counter()
    table = factor_decodability(data, cv=args.cv, random_state=args.random_state)
    print(table.to_string(float_format=lambda v: f"{v:6.3f}"))
    print(f"({time.perf_counter() - t0:.0f} s)")
    print(
        "Expected: R from each modality alone; U_eeg from EEG only; U_fnirs from fNIRS only;\n"
        "S only from both together (the delay between the neural event and the "
        "haemodynamic onset)."
    )
    return 0


def _subset(X, idx):
    return {name: arr[idx] for name, arr in X.items()}


def _print_table(title, table):
    print(f"\n{title}")
    print(table.to_string(float_format=lambda v: f"{v:6.3f}"))


def _demo(args):
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd
    from sklearn.metrics import balanced_accuracy_score

    from skpid.baselines import make_bandpower_lda, make_hemodynamic_lda, make_tangent_space_lr
    from skpid.datasets import make_eeg_fnirs
    from skpid.decomposition import PIDDecomposer
    from skpid.inspection import plot_recovery
    from skpid.model_selection import make_probe, transfer_recovery, within_recovery

    factors = ["R", "U_eeg", "U_fnirs", "S"]
    t0 = time.perf_counter()
    data = make_eeg_fnirs(
        n_subjects=args.n_subjects, n_trials=args.n_trials, random_state=args.random_state
    )
    print(f"Simulated in {time.perf_counter() - t0:.1f} s")
    print(_summary(data))
    subjects = np.unique(data.groups)
    held_out = subjects[-args.n_test_subjects :]
    test = np.isin(data.groups, held_out)
    train = ~test
    X_train, X_test = _subset(data.X, train), _subset(data.X, test)
    f_train = data.factors.loc[train, factors].reset_index(drop=True)
    f_test = data.factors.loc[test, factors].reset_index(drop=True)
    n_train_subjects = len(subjects) - len(held_out)

    params = {"random_state": args.random_state, "verbose": args.verbose}
    if args.max_epochs is not None:
        params["max_epochs"] = args.max_epochs
    with_priors = {
        "priors": ("band_power", "haemodynamic_amplitude", "coupling_delay"),
        "sfreq": {m: data.info[m]["sfreq"] for m in data.X},
        "tmin": {m: data.info[m]["tmin"] for m in data.X},
        "ch_names": {"fnirs": data.info["fnirs"]["ch_names"]},
    }
    decomposers = {
        "PIDDecomposer (default: no priors)": PIDDecomposer(**params),
        "PIDDecomposer + physiological priors": PIDDecomposer(**params, **with_priors),
    }
    print(
        "\nRecovery matrices: chance-normalised balanced accuracy (0 chance, 1 perfect) of a "
        "linear probe\n(standardised logistic regression) on one block (rows) for each factor "
        f"(columns), trained on the\n{n_train_subjects} training subjects' blocks and scored "
        f"on the {len(held_out)} held-out subjects."
    )
    outputs, scores = {}, {}
    for name, dec in decomposers.items():
        print(f"\nFitting {name} on {train.sum()} trials (no labels, batches within subjects) ...")
        t0 = time.perf_counter()
        dec.fit(X_train, groups=data.groups[train])
        print(f"  {dec.n_epochs_} epochs in {time.perf_counter() - t0:.0f} s")
        Z_train, Z_test = dec.transform(X_train), dec.transform(X_test)
        outputs[name] = (Z_train, Z_test)
        scores[name] = transfer_recovery(
            Z_train,
            f_train,
            Z_test,
            f_test,
            dec.component_slices_,
            random_state=args.random_state,
        )
        _print_table(f"{name}: cross-subject", scores[name])
        within = within_recovery(
            Z_test, f_test, dec.component_slices_, random_state=args.random_state
        )
        _print_table(f"{name}: within the held-out subjects (5-fold CV; not a transfer)", within)
    prior_dec = decomposers["PIDDecomposer + physiological priors"]
    alone_train = prior_dec.prior_features(X_train, groups=data.groups[train])
    alone_test = prior_dec.prior_features(X_test, groups=data.groups[test])
    bounds = np.cumsum([0, *(f.shape[1] for f in alone_train.values())])
    blocks = {n: slice(int(bounds[i]), int(bounds[i + 1])) for i, n in enumerate(alone_train)}
    _print_table(
        "The priors' own features alone, same probe, cross-subject (a decomposer that does no "
        "better\nthan these has learned nothing beyond them)",
        transfer_recovery(
            np.hstack(list(alone_train.values())),
            f_train,
            np.hstack(list(alone_test.values())),
            f_test,
            blocks,
            random_state=args.random_state,
        ),
    )

    eeg_sfreq, fnirs_sfreq = data.info["eeg"]["sfreq"], data.info["fnirs"]["sfreq"]
    models = {
        **{f"{name} + probe": name for name in decomposers},
        "EEG band power + sLDA": make_bandpower_lda(eeg_sfreq),
        "fNIRS HbO/HbR features + sLDA": make_hemodynamic_lda(fnirs_sfreq),
        "pyriemann tangent space (EEG+fNIRS)": make_tangent_space_lr(("eeg", "fnirs")),
    }
    rows = {}
    for name, model in models.items():
        row = {}
        for factor in factors:
            y = data.factors[factor].to_numpy()
            if isinstance(model, str):
                Z_train, Z_test = outputs[model]
                pred = make_probe().fit(Z_train, y[train]).predict(Z_test)
            else:
                pred = model.fit(X_train, y[train]).predict(X_test)
            row[factor] = balanced_accuracy_score(y[test], pred)
        rows[name] = row
    _print_table(
        f"Cross-subject balanced accuracy, all blocks together (train on {n_train_subjects} "
        f"subjects, test on {len(held_out)})",
        pd.DataFrame(rows).T,
    )

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    default = "PIDDecomposer (default: no priors)"
    fig = plot_recovery(scores[default], title=f"{default}: cross-subject recovery")
    fig.savefig(out / "recovery.png", dpi=120, bbox_inches="tight")
    print(f"\nSaved the recovery heatmap of the default decomposer to {out / 'recovery.png'}")
    return 0


def main(argv=None):
    """Entry point of the ``skpid`` console command."""
    parser = argparse.ArgumentParser(prog="skpid", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("simulate", help="simulate EEG+fNIRS data and show where factors sit")
    sim.add_argument("--n-subjects", type=int, default=10)
    sim.add_argument("--n-trials", type=int, default=100, help="trials per subject")
    sim.add_argument("--cv", type=int, default=5, help="folds of the placement table")
    sim.add_argument("--random-state", type=int, default=0)
    sim.add_argument("--no-placement", action="store_true", help="only simulate and summarise")
    sim.set_defaults(func=_simulate)
    demo = sub.add_parser(
        "demo", help="fit PIDDecomposer on simulated EEG+fNIRS and show what each block holds"
    )
    demo.add_argument("--n-subjects", type=int, default=10)
    demo.add_argument("--n-trials", type=int, default=100, help="trials per subject")
    demo.add_argument("--n-test-subjects", type=int, default=2)
    demo.add_argument(
        "--max-epochs", type=int, default=None, help="default: PIDDecomposer's default"
    )
    demo.add_argument("--random-state", type=int, default=0)
    demo.add_argument("--output", default="skpid_output", help="folder for the figure")
    demo.add_argument("--verbose", type=int, default=1)
    demo.set_defaults(func=_demo)
    from skpid.model_selection._command import add_evaluate_parser

    add_evaluate_parser(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
