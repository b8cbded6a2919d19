"""``skpid evaluate``: run named pipelines on simulated, shared or your own data.

Data sources (``--data``):

- ``simulator``: :func:`skpid.datasets.make_eeg_fnirs` (EEG + fNIRS with known factors;
  ``--target`` picks the factor to decode);
- ``shin2017-ma-fnirs``, ``eegmat``, ``finemi``: the loaders of :mod:`skpid.datasets` on a
  local folder (``--path``);
- ``shin2017``: the TU Berlin hybrid EEG+NIRS set, downloaded after licence acceptance
  (``--accept-licence``);
- ``epochs``: your own mne ``-epo.fif`` files, either one file per subject with mixed
  channel types (``--epochs 'data/sub-*-epo.fif'``, split into ``eeg`` and ``fnirs`` by
  channel type) or one file per modality and subject (``--modality eeg='data/*_eeg-epo.fif'
  --modality fnirs='data/*_nirs-epo.fif'``, paired by subject). The subject comes from a
  ``subject`` column of the epochs' metadata, else from the file name (``sub-XX``, else the
  first number in it, else the whole name); sessions from a ``session`` metadata column;
  labels from the event codes.

Pipelines (``--pipelines``): the names of :data:`PIPELINE_HELP` (classical baselines of
:mod:`skpid.baselines` and decomposers followed by a logistic regression), ``all``, or a
Python file (``--pipelines-file``) defining ``PIPELINES``, a dict of name to estimator or a
function of the data's per-modality info (``sfreq``, ``tmin``, ``ch_names``,
``ch_types``) returning one.

It writes the results table (CSV), a figure of the scores of every pipeline across
subjects and a paired per-subject comparison of the two best pipelines, and prints means,
standard deviations and a paired Wilcoxon signed-rank test between the two best.
"""

import glob
import re
import runpy
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

__all__ = ["PIPELINE_HELP", "add_evaluate_parser", "named_pipelines", "read_epochs_files", "run"]

DATA_SOURCES = ("simulator", "shin2017-ma-fnirs", "eegmat", "finemi", "shin2017", "epochs")
EVALUATIONS = ("auto", "cross-subject", "within-subject", "cross-session")

#: Named pipelines: what they need and what they are.
PIPELINE_HELP = {
    "bandpower-lda": "EEG: log band power per channel + shrinkage LDA",
    "csp-lda": "EEG: CSP log-variance + shrinkage LDA",
    "tangent-space-lr": "every time-series modality: covariances in tangent space + LR",
    "xdawn-tangent-space-lr": "fNIRS: xDAWN covariances in tangent space + LR",
    "hemodynamic-lda": "fNIRS: HbO/HbR mean, slope in 0-5/5-10/10-15 s (in the epoch) + sLDA",
    "shin2017-hybrid": "EEG + fNIRS: the meta-classifier of Shin et al. (2017)",
    "pid-lr": "2+ modalities: PIDDecomposer + standardisation + LR (decomposer)",
    "comm-lr": "2+ modalities: CoMM + standardisation + LR (decomposer)",
    "factorcl-lr": "2 modalities: FactorCL + standardisation + LR (decomposer)",
    "hcl-lr": "2+ modalities: HCL + standardisation + LR (decomposer)",
}
DECOMPOSERS = ("pid-lr", "comm-lr", "factorcl-lr", "hcl-lr")


def add_evaluate_parser(subparsers):
    """Add the ``evaluate`` sub-command to an argparse ``subparsers`` object."""
    import argparse

    p = subparsers.add_parser(
        "evaluate",
        help="evaluate pipelines across subjects/sessions and compare them",
        description=__doc__.split("\n\n")[0],
        epilog="Named pipelines:\n"
        + "\n".join(f"  {k:24s} {v}" for k, v in PIPELINE_HELP.items())
        + "\n\nExamples:\n"
        "  skpid evaluate --n-subjects 6 --n-trials 40 --pipelines all --max-epochs 5\n"
        "  skpid evaluate --data shin2017-ma-fnirs --path shared/data\n"
        "  skpid evaluate --data epochs --epochs 'data/sub-*-epo.fif' --evaluation within-subject",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data", choices=DATA_SOURCES, default=None, help="default: simulator")
    p.add_argument("--path", help="folder of the recordings (loaders) or download folder")
    p.add_argument("--subjects", type=int, nargs="+", help="subjects to read (loaders)")
    p.add_argument(
        "--epochs", nargs="+", default=[], metavar="FILE", help="-epo.fif files or glob patterns"
    )
    p.add_argument(
        "--modality",
        action="append",
        default=[],
        metavar="NAME=FILES",
        help="one -epo.fif file (or glob pattern) per subject for modality NAME; repeat",
    )
    p.add_argument(
        "--pipelines",
        nargs="+",
        default=None,
        metavar="NAME",
        help="named pipelines or 'all' (default: every applicable baseline)",
    )
    p.add_argument("--pipelines-file", help="Python file defining PIPELINES")
    p.add_argument("--list-pipelines", action="store_true", help="list the names and exit")
    p.add_argument("--evaluation", choices=EVALUATIONS, default="auto")
    p.add_argument(
        "--cv",
        type=int,
        default=None,
        help="cross-subject: folds of whole subjects (default: leave one subject out); "
        "within-subject: folds (default 5)",
    )
    p.add_argument(
        "--scoring", nargs="+", default=["balanced_accuracy"], help="scikit-learn scorers"
    )
    p.add_argument("--n-jobs", type=int, default=None, help="(pipeline, fold) pairs at once")
    p.add_argument("--cache-dir", help="folder of finished folds: rerun to resume")
    p.add_argument("--output", default="skpid_output", help="folder of the CSV and figures")
    p.add_argument("--max-epochs", type=int, default=None, help="of the decomposers")
    p.add_argument("--n-subjects", type=int, default=10, help="simulator")
    p.add_argument("--n-trials", type=int, default=100, help="simulator: trials per subject")
    p.add_argument("--target", default="R", help="simulator: factor to decode")
    p.add_argument("--tmin", type=float, default=None, help="shin2017-ma-fnirs: crop (s)")
    p.add_argument("--tmax", type=float, default=None, help="shin2017-ma-fnirs: crop (s)")
    p.add_argument("--accept-licence", action="store_true", help="shin2017: accept and download")
    p.add_argument("--random-state", type=int, default=0)
    p.add_argument("--verbose", type=int, default=1)
    p.set_defaults(func=run)
    return p


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------


def _info(mod_info):
    return {
        "sfreq": float(mod_info["sfreq"]),
        "tmin": float(mod_info.get("tmin", 0.0)),
        "ch_names": list(mod_info["ch_names"]),
        "ch_types": list(mod_info["ch_types"]),
    }


def _number(text, default=None):
    match = re.search(r"sub(?:ject)?[-_]?([A-Za-z0-9]+)", text, flags=re.IGNORECASE)
    if match:
        value = match.group(1)
        return int(value) if value.isdigit() else value
    match = re.search(r"\d+", text)
    if match:
        return int(match.group(0))
    return default


def _subject_of(path):
    """Subject from a file name: ``sub-XX``, else the first number, else the name itself."""
    stem = Path(path).name
    for suffix in (".fif.gz", ".fif"):
        stem = stem.removesuffix(suffix)
    stem = re.sub(r"[-_]epo$", "", stem)
    return _number(stem, default=stem)


def _expand(patterns, what):
    files = []
    for pattern in patterns:
        found = sorted(glob.glob(str(pattern))) if glob.has_magic(str(pattern)) else [pattern]
        found = [f for f in found if Path(f).is_file()]
        if not found:
            raise FileNotFoundError(
                f"No file matches {pattern!r} ({what}). Check the path (quote glob patterns "
                "so that skpid, not the shell, expands them)."
            )
        files += found
    return files


def _read_epochs(path):
    import mne

    epochs = mne.read_epochs(path, preload=True, verbose="error")
    if len(epochs) == 0:
        raise ValueError(f"{path} holds no epochs (all dropped?).")
    return epochs


def _trial_labels(epochs, path):
    """Subject and session of every epoch: metadata columns, else the file name."""
    n = len(epochs)
    meta = epochs.metadata
    subject = (
        meta["subject"].to_numpy()
        if meta is not None and "subject" in meta
        else np.full(n, _subject_of(path), dtype=object)
    )
    session = meta["session"].to_numpy() if meta is not None and "session" in meta else None
    return subject, session


def _stack(chunks, what):
    shapes = {tuple(c.shape[1:]) for c in chunks}
    if len(shapes) > 1:
        raise ValueError(
            f"The {what} epochs have different shapes {sorted(shapes)} (channels, samples) "
            "across files. Pick the same channels and crop to the same window in every file."
        )
    return np.concatenate(chunks)


def read_epochs_files(epochs_files=(), modality_files=None):
    """Read mne ``-epo.fif`` files of several subjects into one multimodal batch.

    Parameters
    ----------
    epochs_files : sequence of str
        Files (or glob patterns) that each hold every modality as channel types (``eeg``,
        ``hbo``/``hbr``), split with :func:`skpid.io.from_epochs`.
    modality_files : dict of str to sequence of str or None
        Modality name to files (or glob patterns), one per subject; the files of the
        modalities are paired by the subject in their metadata or name.

    Returns
    -------
    data : Bunch
        ``X`` (SliceDict), ``y`` (event codes), ``groups`` (subjects), ``sessions`` (or
        None), ``info`` (per modality ``sfreq``, ``tmin``, ``ch_names``, ``ch_types``).
    """
    from skorch.helper import SliceDict

    from ..io import from_epochs

    modality_files = modality_files or {}
    if bool(epochs_files) == bool(modality_files):
        raise ValueError(
            "Give either --epochs (files with mixed channel types) or --modality NAME=FILES "
            "(one file per modality and subject), not both and not neither."
        )
    batches = []  # (arrays, info, y, subject, session, label)
    if epochs_files:
        for path in _expand(epochs_files, "--epochs"):
            epochs = _read_epochs(path)
            X, info = from_epochs(epochs)
            subject, session = _trial_labels(epochs, path)
            batches.append((X, info, epochs.events[:, 2], subject, session, path))
    else:
        per_modality = {}
        for name, patterns in modality_files.items():
            files = _expand(patterns, f"--modality {name}")
            per_modality[name] = {}
            for path in files:
                epochs = _read_epochs(path)
                subject, _ = _trial_labels(epochs, path)
                key = "/".join(np.unique(subject.astype(str)).tolist())
                if key in per_modality[name]:
                    raise ValueError(
                        f"Two {name} files for subject {key}: {per_modality[name][key][1]} and "
                        f"{path}. Give one file per subject and modality."
                    )
                per_modality[name][key] = (epochs, path)
        names = list(per_modality)
        keys = set.intersection(*(set(per_modality[m]) for m in names))
        unpaired = set.union(*(set(per_modality[m]) for m in names)) - keys
        if unpaired:
            raise ValueError(
                f"Subjects {sorted(unpaired)} lack a file of some modality ({names}). Give "
                "every subject one file per modality, or leave them out."
            )
        for key in sorted(keys):
            eps = {m: per_modality[m][key][0] for m in names}
            first = per_modality[names[0]][key]
            X, info = from_epochs(**eps)
            subject, session = _trial_labels(first[0], first[1])
            batches.append((X, info, first[0].events[:, 2], subject, session, first[1]))
    modalities = list(batches[0][0])
    for X, _, _, _, _, path in batches[1:]:
        if list(X) != modalities:
            raise ValueError(
                f"{path} holds the modalities {list(X)}, the first file {modalities}. Give "
                "every file the same channel types."
            )
    X = SliceDict(**{m: _stack([b[0][m] for b in batches], m) for m in modalities})
    sessions = None
    if all(b[4] is not None for b in batches):
        sessions = np.concatenate([b[4] for b in batches])
    return Bunch(
        X=X,
        y=np.concatenate([b[2] for b in batches]),
        groups=np.concatenate([b[3] for b in batches]),
        sessions=sessions,
        info={m: _info(batches[0][1][m]) for m in modalities},
        cv_groups=None,
        name="epochs",
    )


def _parse_modalities(items):
    out = {}
    for item in items:
        name, sep, pattern = item.partition("=")
        if not sep or not name or not pattern:
            raise ValueError(
                f"--modality {item!r} must read NAME=FILES, e.g. --modality "
                "eeg='data/sub-*_eeg-epo.fif'."
            )
        out.setdefault(name, []).append(pattern)
    return out


def load_data(args):
    """The batch of ``args.data``: X, y, groups, sessions, cv_groups, info, name.

    ``info`` holds per modality ``sfreq``, ``tmin``, ``tmax`` (time of the last sample),
    ``ch_names`` and ``ch_types``.
    """
    data = _load(args)
    for name, arr in data.X.items():
        i = data.info[name]
        i["tmax"] = i["tmin"] + (arr.shape[-1] - 1) / i["sfreq"]
    return data


def _load(args):
    from skorch.helper import SliceDict

    source = args.data
    if source is None:
        source = "epochs" if (args.epochs or args.modality) else "simulator"
    if source != "epochs" and (args.epochs or args.modality):
        raise ValueError(f"--epochs/--modality only go with --data epochs, not --data {source}.")
    if source in ("shin2017-ma-fnirs", "eegmat", "finemi") and not args.path:
        raise ValueError(f"--data {source} needs --path, the folder of the recordings.")
    if source == "simulator":
        from ..datasets import make_eeg_fnirs

        data = make_eeg_fnirs(
            n_subjects=args.n_subjects,
            n_trials=args.n_trials,
            target=args.target,
            random_state=args.random_state,
        )
        return Bunch(
            X=data.X,
            y=data.y,
            groups=data.groups,
            sessions=None,
            cv_groups=None,
            info={m: _info(data.info[m]) for m in data.X},
            name=f"simulator-{args.target}",
        )
    if source == "shin2017-ma-fnirs":
        from ..datasets import load_shin2017_ma_fnirs

        tmin = 0.0 if args.tmin is None else args.tmin
        tmax = 20.0 if args.tmax is None else args.tmax
        data = load_shin2017_ma_fnirs(args.path, args.subjects, tmin=tmin, tmax=tmax)
        X, sessions, cv_groups, modality = SliceDict(fnirs=data.X), None, None, "fnirs"
    elif source == "eegmat":
        from ..datasets import load_eegmat

        data = load_eegmat(args.path, args.subjects)
        X, sessions, modality = SliceDict(eeg=data.X), None, "eeg"
        cv_groups = data.metadata["block"].to_numpy()  # contiguous time blocks
    elif source == "finemi":
        from ..datasets import load_finemi_fnirs

        data = load_finemi_fnirs(args.path)
        X, modality, cv_groups = SliceDict(fnirs=data.X), "fnirs", None
        sessions = data.groups  # the blocks, recorded one after the other
        subject = _number(Path(args.path).resolve().name, default=1)
        data.groups = np.full(len(data.y), subject)
    elif source == "shin2017":
        from ..datasets import load_shin2017

        data = load_shin2017(args.subjects or 1, data_path=args.path, accept=args.accept_licence)
        return Bunch(
            X=data.X,
            y=data.y,
            groups=data.groups,
            sessions=data.metadata["session"].to_numpy(),
            cv_groups=None,
            info={m: _info(data.info[m]) for m in data.X},
            name="shin2017-B",
        )
    else:
        return read_epochs_files(args.epochs, _parse_modalities(args.modality))
    return Bunch(
        X=X,
        y=data.y,
        groups=data.groups,
        sessions=sessions,
        cv_groups=cv_groups,
        info={modality: _info(data.info)},
        name=source,
    )


# --------------------------------------------------------------------------------------
# Pipelines
# --------------------------------------------------------------------------------------


def _is_fnirs(name):
    return "nirs" in name.lower()


def named_pipelines(info, names=None, *, max_epochs=None, random_state=0):
    """Build named pipelines for data with the given modalities.

    Parameters
    ----------
    info : dict of str to dict
        Per modality ``sfreq``, ``tmin`` and ``ch_types`` (from :func:`load_data`).
    names : list of str or None
        Names of :data:`PIPELINE_HELP`, or ``["all"]``; None gives every applicable
        baseline (no decomposer).
    max_epochs : int or None
        Of the decomposers; None keeps their default.
    random_state : int
        Seed of the decomposers.

    Returns
    -------
    pipelines : dict of str to estimator

    Raises
    ------
    ValueError
        An unknown name, or a pipeline that the data's modalities cannot feed.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .. import baselines
    from ..decomposition import HCL, CoMM, FactorCL, PIDDecomposer

    series = [m for m, i in info.items() if i.get("sfreq")]
    eeg = "eeg" if "eeg" in info else None
    fnirs = next((m for m in info if _is_fnirs(m)), None)

    def windows(m):
        """Shin et al.'s windows, cut to the epoch (those starting after its end dropped)."""
        i = info[m]
        end = i.get("tmax", np.inf)
        return [(a, min(b, end)) for a, b in baselines.SHIN2017_WINDOWS if a < end - 1 / i["sfreq"]]

    def hemodynamic(m):
        i = info[m]
        return baselines.make_hemodynamic_lda(
            i["sfreq"], modality=m, windows=windows(m), tmin=i["tmin"], ch_types=i["ch_types"]
        )

    def decomposer(cls, **extra):
        params = {"random_state": random_state, **extra}
        if max_epochs is not None:
            params["max_epochs"] = max_epochs
        est = cls(**params)
        return make_pipeline(est, StandardScaler(), LogisticRegression(max_iter=1000))

    def pid():
        extra = {}
        if eeg and fnirs:  # the coupling delay reads both sampling rates
            extra["sfreq"] = {eeg: info[eeg]["sfreq"], fnirs: info[fnirs]["sfreq"]}
            extra["tmin"] = {eeg: info[eeg]["tmin"], fnirs: info[fnirs]["tmin"]}
        return decomposer(PIDDecomposer, **extra)

    builders = {
        "bandpower-lda": (eeg, lambda: baselines.make_bandpower_lda(info[eeg]["sfreq"])),
        "csp-lda": (eeg, lambda: baselines.make_csp_lda(modality=eeg)),
        "tangent-space-lr": (series, lambda: baselines.make_tangent_space_lr(tuple(series))),
        "xdawn-tangent-space-lr": (
            fnirs,
            lambda: baselines.make_xdawn_tangent_space_lr((fnirs,)),
        ),
        "hemodynamic-lda": (fnirs, lambda: hemodynamic(fnirs)),
        "shin2017-hybrid": (
            eeg and fnirs,
            lambda: baselines.make_shin2017_hybrid(
                info[fnirs]["sfreq"],
                eeg=eeg,
                fnirs=fnirs,
                windows=windows(fnirs),
                tmin=info[fnirs]["tmin"],
                ch_types=info[fnirs]["ch_types"],
            ),
        ),
        "pid-lr": (len(info) >= 2, pid),
        "comm-lr": (len(info) >= 2, lambda: decomposer(CoMM)),
        "factorcl-lr": (len(info) == 2, lambda: decomposer(FactorCL)),
        "hcl-lr": (len(info) >= 2, lambda: decomposer(HCL)),
    }
    if names is None:
        chosen = [n for n, (ok, _) in builders.items() if ok and n not in DECOMPOSERS]
    elif list(names) == ["all"]:
        chosen = [n for n, (ok, _) in builders.items() if ok]
    else:
        unknown = [n for n in names if n not in builders]
        if unknown:
            raise ValueError(
                f"Unknown pipelines {unknown}; choose from {list(builders)} or 'all' "
                "(skpid evaluate --list-pipelines)."
            )
        unusable = [n for n in names if not builders[n][0]]
        if unusable:
            raise ValueError(
                f"Pipelines {unusable} cannot run on the modalities {list(info)}: "
                + "; ".join(f"{n}: {PIPELINE_HELP[n]}" for n in unusable)
                + ". Leave them out."
            )
        chosen = list(dict.fromkeys(names))
    if not chosen:
        raise ValueError(
            f"No named pipeline applies to the modalities {list(info)}; name the modalities "
            "'eeg' and 'fnirs', or give --pipelines-file."
        )
    return {name: builders[name][1]() for name in chosen}


def load_pipelines_file(path, info):
    """The ``PIPELINES`` of a Python file: a dict, or a function of ``info`` returning one."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--pipelines-file {path} does not exist.")
    namespace = runpy.run_path(str(path))
    pipelines = namespace.get("PIPELINES")
    if callable(pipelines):
        pipelines = pipelines(info)
    if not isinstance(pipelines, Mapping) or not pipelines:
        raise ValueError(
            f"{path} must define PIPELINES, a non-empty dict of name to estimator (or a "
            "function of the per-modality info returning one); got "
            f"{type(pipelines).__name__}."
        )
    return dict(pipelines)


# --------------------------------------------------------------------------------------
# Run
# --------------------------------------------------------------------------------------


def _evaluation(args, data):
    """The evaluation asked for, its description and the keyword arguments of evaluate."""
    from . import CrossSessionEvaluation, CrossSubjectEvaluation, WithinSubjectEvaluation

    kind = args.evaluation
    if kind == "auto":
        if len(np.unique(data.groups)) >= 2:
            kind = "cross-subject"
        elif data.sessions is not None and len(np.unique(data.sessions)) >= 2:
            kind = "cross-session"
        else:
            kind = "within-subject"
    common = {
        "scoring": args.scoring[0] if len(args.scoring) == 1 else list(args.scoring),
        "n_jobs": args.n_jobs,
        "cache_dir": args.cache_dir,
        "verbose": args.verbose,
    }
    kwargs = {"sessions": data.sessions, "dataset": data.name}
    if kind == "cross-subject":
        evaluation = CrossSubjectEvaluation(cv=args.cv, **common)
        how = "leave one subject out" if args.cv is None else f"{args.cv} folds of subjects"
    elif kind == "within-subject":
        from sklearn.model_selection import GroupKFold

        n_folds = 5 if args.cv is None else args.cv
        cv = n_folds if data.cv_groups is None else GroupKFold(n_folds)
        evaluation = WithinSubjectEvaluation(cv=cv, random_state=args.random_state, **common)
        how = f"{n_folds}-fold CV within each subject"
        if data.cv_groups is not None:
            how += " (folds of contiguous time blocks)"
        kwargs["cv_groups"] = data.cv_groups
    else:
        evaluation = CrossSessionEvaluation(**common)
        how = "leave one session out within each subject"
    return kind, how, evaluation, kwargs


def _counts(values):
    labels, counts = np.unique(values, return_counts=True)
    plain = [v.item() if isinstance(v, np.generic) else v for v in labels]
    return dict(zip(plain, counts.tolist(), strict=True))


def _describe(data):
    lines = [
        f"{len(data.y)} trials of {len(np.unique(data.groups))} subject(s)"
        + ("" if data.sessions is None else f", {len(np.unique(data.sessions))} sessions")
        + f", trials per class {_counts(data.y)}"
    ]
    for name, arr in data.X.items():
        i = data.info[name]
        lines.append(
            f"  {name}: {arr.shape[1]} channels x {arr.shape[-1]} samples at {i['sfreq']:g} Hz"
        )
    return "\n".join(lines)


def _chance(scoring, y):
    """Score of always guessing the most frequent class (None when unknown)."""
    counts = np.unique(y, return_counts=True)[1]
    if scoring == "balanced_accuracy":
        return 1.0 / len(counts)
    if scoring == "accuracy":
        return counts.max() / counts.sum()
    if scoring.startswith("roc_auc"):
        return 0.5
    return None


def run(args):
    """Run ``skpid evaluate`` with parsed arguments; returns the exit status."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import compare_pipelines, plot_paired, plot_scores, summarize_results, unit_scores

    if args.list_pipelines:
        for name, text in PIPELINE_HELP.items():
            print(f"{name:24s} {text}")
        return 0
    t0 = time.perf_counter()
    data = load_data(args)
    print(f"Data: {data.name} (read in {time.perf_counter() - t0:.1f} s)\n{_describe(data)}")
    pipelines = {}
    if args.pipelines_file:
        pipelines.update(load_pipelines_file(args.pipelines_file, data.info))
    if args.pipelines is not None or not args.pipelines_file:
        pipelines.update(
            named_pipelines(
                data.info,
                args.pipelines,
                max_epochs=args.max_epochs,
                random_state=args.random_state,
            )
        )
    kind, how, evaluation, kwargs = _evaluation(args, data)
    print(f"Evaluation: {kind} ({how}); pipelines: {', '.join(pipelines)}")
    t0 = time.perf_counter()
    results = evaluation.evaluate(pipelines, data.X, data.y, data.groups, **kwargs)
    seconds = time.perf_counter() - t0

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{data.name}_{kind}"
    csv = out / f"{stem}_results.csv"
    results.to_csv(csv, index=False)
    scoring = args.scoring[0]
    summary = summarize_results(results)
    index = unit_scores(results).index.names
    unit = "sessions" if "session" in index else "folds" if "fold" in index else "subjects"
    print(
        f"\n{scoring} over {summary['n'].max()} {unit} ({len(results)} rows, "
        f"{seconds:.0f} s); mean, sample std, min, max, mean fit seconds:"
    )
    print(summary.to_string(float_format=lambda v: f"{v:.3f}"))
    figures = []
    chance = _chance(scoring, data.y)
    fig = plot_scores(results, chance=chance, label=scoring)
    fig.axes[0].set_title(f"{data.name}: {kind} ({how})", fontsize=10)
    fig.savefig(out / f"{stem}_scores.png", dpi=120, bbox_inches="tight")
    figures.append(out / f"{stem}_scores.png")
    plt.close(fig)
    if len(summary) >= 2:
        comp = compare_pipelines(results)
        if np.isnan(comp.pvalue):
            test = "no paired test (fewer than 2 units, or no differences)"
        else:
            test = f"paired Wilcoxon signed-rank W = {comp.statistic:g}, p = {comp.pvalue:.3g}"
        print(
            f"\nBest two: {comp.a!r} vs {comp.b!r}: mean difference "
            f"{comp.mean_difference:+.3f}, {comp.a!r} higher on {comp.wins} of {comp.n} "
            f"{unit} (lower on {comp.losses}); {test}"
        )
        fig = plot_paired(results, label=scoring)
        fig.savefig(out / f"{stem}_paired.png", dpi=120, bbox_inches="tight")
        figures.append(out / f"{stem}_paired.png")
        plt.close(fig)
    print(f"\nResults: {csv}\nFigures: {', '.join(map(str, figures))}")
    return 0
