"""Tests of ``skpid evaluate``."""

import mne
import numpy as np
import pandas as pd
import pytest

from skpid.cli import main

MOABB_COLUMNS = ["score", "time", "samples", "subject", "session", "channels", "n_sessions"]
MOABB_COLUMNS += ["dataset", "pipeline"]


def _run(args, capsys):
    assert main(["evaluate", "--verbose", "0", *args]) == 0
    return capsys.readouterr().out


def _outputs(folder):
    csv = sorted(folder.glob("*_results.csv"))
    assert len(csv) == 1
    pngs = {p.name.rsplit("_", 1)[1]: p for p in folder.glob("*.png")}
    return pd.read_csv(csv[0]), pngs


def test_simulator_named_baselines(tmp_path, capsys):
    args = [
        "--n-subjects",
        "3",
        "--n-trials",
        "12",
        "--target",
        "U_fnirs",
        "--output",
        str(tmp_path),
    ]
    args += ["--pipelines", "hemodynamic-lda", "xdawn-tangent-space-lr"]
    out = _run(args, capsys)
    res, pngs = _outputs(tmp_path)
    assert set(MOABB_COLUMNS) <= set(res.columns)
    assert len(res) == 2 * 3 and sorted(res["subject"].unique()) == [0, 1, 2]
    assert set(res["dataset"]) == {"simulator-U_fnirs"}
    assert "leave one subject out" in out and "Best two" in out
    for pipeline in ("hemodynamic-lda", "xdawn-tangent-space-lr"):
        mean = res.loc[res.pipeline == pipeline, "score"].mean()
        assert f"{mean:.3f}" in out
    assert set(pngs) == {"scores.png", "paired.png"}
    assert all(p.stat().st_size > 10_000 for p in pngs.values())


PIPELINES_FILE = """
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skpid import PIDDecomposer
from skpid.baselines import make_hemodynamic_lda


def PIPELINES(info):
    dec = PIDDecomposer(max_epochs=1, hidden_size=8, n_components=2, random_state=0)
    return {
        "hemo": make_hemodynamic_lda(info["fnirs"]["sfreq"]),
        "tiny pid": make_pipeline(dec, StandardScaler(), LogisticRegression()),
    }
"""


def test_pipelines_file_and_within_subject_with_cache(tmp_path, capsys):
    file = tmp_path / "pipes.py"
    file.write_text(PIPELINES_FILE)
    args = ["--n-subjects", "2", "--n-trials", "12", "--pipelines-file", str(file)]
    args += ["--evaluation", "within-subject", "--cv", "2", "--output", str(tmp_path / "out")]
    args += ["--cache-dir", str(tmp_path / "cache")]
    out = _run(args, capsys)
    res, _ = _outputs(tmp_path / "out")
    assert sorted(res["pipeline"].unique()) == ["hemo", "tiny pid"]
    assert (res["n_folds"] == 2).all() and len(res) == 4
    assert "2-fold CV within each subject" in out
    assert len(list((tmp_path / "cache").glob("*.json"))) == 2 * 2 * 2
    again = _run(args, capsys)  # every fold from the cache: same table
    res2, _ = _outputs(tmp_path / "out")
    pd.testing.assert_series_equal(res2["score"], res["score"])
    assert "Best two" in again


def _epochs(subject, n=16, seed=0, types=("eeg", "hbo", "hbr"), metadata=None):
    rng = np.random.default_rng(seed + subject)
    names = {"eeg": ["C3", "C4", "Cz"], "hbo": ["S1_D1 hbo", "S2_D2 hbo"]}
    names["hbr"] = ["S1_D1 hbr", "S2_D2 hbr"]
    ch_names = [c for t in types for c in names[t]]
    ch_types = [t for t in types for _ in names[t]]
    info = mne.create_info(ch_names, 100.0, ch_types)
    y = np.tile([1, 2], n // 2)
    scale = np.array([1e-5 if t == "eeg" else 1e-6 for t in ch_types])
    data = rng.normal(size=(n, len(ch_names), 100)) * scale[:, None]
    data[:, 0] *= 1 + (y == 2)[:, None]  # class 2 has more power on the first channel
    events = np.column_stack([np.arange(n) * 100, np.zeros(n, int), y])
    return mne.EpochsArray(
        data, info, events, event_id={"a": 1, "b": 2}, metadata=metadata, verbose="error"
    )


def test_own_epochs_files_with_mixed_channel_types(tmp_path, capsys):
    for subject in (1, 2, 3):
        _epochs(subject).save(tmp_path / f"sub-0{subject}-epo.fif", verbose="error")
    args = ["--data", "epochs", "--epochs", str(tmp_path / "sub-*-epo.fif")]
    args += ["--pipelines", "tangent-space-lr", "bandpower-lda", "--output", str(tmp_path / "o")]
    out = _run(args, capsys)
    res, _ = _outputs(tmp_path / "o")
    assert sorted(res["subject"].unique()) == [1, 2, 3]
    assert (res["channels"] == 7).all()  # 3 EEG + 4 fNIRS channels
    assert "eeg: 3 channels" in out and "fnirs: 4 channels" in out


def test_own_epochs_files_one_per_modality_and_subject_from_metadata(tmp_path, capsys):
    sessions = np.tile(np.repeat([1, 2], 4), 2)  # both classes in every session
    meta = pd.DataFrame({"subject": ["ann"] * 8 + ["bob"] * 8, "session": sessions})
    _epochs(0, types=("eeg",), metadata=meta).save(tmp_path / "both_eeg-epo.fif")
    _epochs(0, types=("hbo", "hbr"), metadata=meta).save(tmp_path / "both_nirs-epo.fif")
    args = ["--data", "epochs", "--modality", f"eeg={tmp_path / '*_eeg-epo.fif'}"]
    args += ["--modality", f"fnirs={tmp_path / '*_nirs-epo.fif'}", "--output", str(tmp_path)]
    args += ["--pipelines", "tangent-space-lr", "csp-lda", "--evaluation", "cross-session"]
    out = _run(args, capsys)
    res, _ = _outputs(tmp_path)
    assert sorted(res["subject"].unique()) == ["ann", "bob"]
    assert sorted(res["session"].unique()) == [1, 2] and (res["n_sessions"] == 2).all()
    assert "leave one session out" in out


def test_unpaired_modality_files_are_refused(tmp_path):
    _epochs(1, types=("eeg",)).save(tmp_path / "sub-01_eeg-epo.fif")
    _epochs(2, types=("eeg",)).save(tmp_path / "sub-02_eeg-epo.fif")
    _epochs(1, types=("hbo", "hbr")).save(tmp_path / "sub-01_nirs-epo.fif")
    args = ["evaluate", "--modality", f"eeg={tmp_path / '*_eeg-epo.fif'}"]
    args += ["--modality", f"fnirs={tmp_path / '*_nirs-epo.fif'}"]
    with pytest.raises(ValueError, match=r"Subjects \['2'\] lack a file"):
        main(args)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (["--pipelines", "nope"], ValueError, "Unknown pipelines"),
        (["--data", "eegmat"], ValueError, "needs --path"),
        (["--data", "epochs", "--epochs", "/nonexistent/*-epo.fif"], FileNotFoundError, "No file"),
        (["--pipelines-file", "/nonexistent.py"], FileNotFoundError, "does not exist"),
    ],
)
def test_bad_arguments_are_named(args, error, match):
    with pytest.raises(error, match=match):
        main(["evaluate", "--n-subjects", "2", "--n-trials", "4", *args])


def test_pipeline_that_the_modalities_cannot_feed(tmp_path):
    _epochs(1, types=("hbo", "hbr")).save(tmp_path / "sub-01-epo.fif")
    _epochs(2, types=("hbo", "hbr")).save(tmp_path / "sub-02-epo.fif")
    args = ["evaluate", "--epochs", str(tmp_path / "*-epo.fif"), "--pipelines", "csp-lda"]
    with pytest.raises(ValueError, match="cannot run on the modalities"):
        main(args)


def test_list_pipelines(capsys):
    assert main(["evaluate", "--list-pipelines"]) == 0
    out = capsys.readouterr().out
    assert "pid-lr" in out and "hemodynamic-lda" in out


def test_shin2017_fnirs_arrays(shared_data, tmp_path, capsys):
    args = ["--data", "shin2017-ma-fnirs", "--path", str(shared_data), "--subjects", "1", "2", "3"]
    args += ["--pipelines", "hemodynamic-lda", "xdawn-tangent-space-lr", "--output", str(tmp_path)]
    out = _run(args, capsys)
    res, pngs = _outputs(tmp_path)
    assert sorted(res["subject"].unique()) == [1, 2, 3] and len(res) == 6
    assert (res["n_test"] == 60).all() and (res["channels"] == 72).all()
    assert "paired Wilcoxon" in out or "no paired test" in out
    assert len(pngs) == 2


def test_hemodynamic_windows_are_cut_to_the_epoch():
    from skpid.model_selection._command import named_pipelines

    info = {"fnirs": {"sfreq": 10.0, "tmin": -2.0, "tmax": 8.0, "ch_types": ["hbo", "hbr"]}}
    pipe = named_pipelines(info, ["hemodynamic-lda"])["hemodynamic-lda"]
    windows = [v for k, v in pipe.get_params().items() if k.endswith("__windows")]
    assert windows == [[(0.0, 5.0), (5.0, 8.0)]]
