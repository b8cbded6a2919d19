"""TU Berlin hybrid BCI loader, on small files written in the release's BBCI layout."""

import zipfile

import numpy as np
import pooch
import pytest
from scipy.io import savemat
from skorch.helper import SliceDict

from skpid.datasets import _shin2017
from skpid.datasets._shin2017 import LICENCE, fetch_shin2017, load_shin2017, read_shin2017_raw

EEG_FS, NIRS_FS = 200.0, 10.0
EEG_CLAB = ["F3", "F4", "Cz", "P3", "P4", "Pz", "VEOG", "HEOG"]
NIRS_PAIRS = ["AF7Fp1", "AF3Fp1", "C5FC5", "C3CP3"]  # source + detector, 10-05 names
N_TRIALS, ONSET0, SPACING, DURATION = 4, 20.0, 25.0, 130.0
# class row of mrk.y per trial: row 0 is the first class (MA in dataset B)
ROWS = np.array([0, 1, 1, 0])


def _session(rng, session):
    t_eeg = np.arange(int(DURATION * EEG_FS)) / EEG_FS
    t_nirs = np.arange(int(DURATION * NIRS_FS)) / NIRS_FS
    onsets = ONSET0 + SPACING * np.arange(N_TRIALS)
    eeg = rng.normal(0, 5.0, (t_eeg.size, len(EEG_CLAB)))  # microvolts
    cardiac = np.sin(2 * np.pi * 1.1 * t_nirs)
    nirs = np.empty((t_nirs.size, 2 * len(NIRS_PAIRS)))
    for p in range(len(NIRS_PAIRS)):
        for w in range(2):
            # last pair: independent noise at the two wavelengths -> low scalp coupling
            pulse = rng.normal(size=t_nirs.size) if p == len(NIRS_PAIRS) - 1 else cardiac
            nirs[:, 2 * p + w] = 1.0 + 0.01 * pulse + 0.001 * rng.normal(size=t_nirs.size)
    for onset, row in zip(onsets, ROWS, strict=True):
        if row == 0:  # first class: strong 10 Hz EEG and a slow intensity drop (absorption)
            task = (t_eeg >= onset) & (t_eeg < onset + 10)
            # on one channel only: a common signal would vanish in the average reference
            eeg[task, 2] += 40.0 * np.sin(2 * np.pi * 10 * t_eeg[task])
            bump = np.exp(-0.5 * ((t_nirs - onset - 7.0) / 3.0) ** 2)
            nirs *= (1.0 - 0.05 * bump)[:, None]
    # BBCI: marker times in ms of 1-based samples
    time_ms = (np.round(onsets * EEG_FS) + 1) * 1000.0 / EEG_FS
    y = np.zeros((2, N_TRIALS))
    y[ROWS, np.arange(N_TRIALS)] = 1
    mrk = {"time": time_ms, "y": y, "event": {"desc": 16 * (ROWS + 1)}}
    eeg_cnt = {"x": eeg, "clab": np.array(EEG_CLAB, dtype=object), "fs": EEG_FS}
    nirs_clab = [f"{p}{wl}" for p in NIRS_PAIRS for wl in ("lowWL", "highWL")]
    nirs_cnt = {
        "x": nirs,
        "clab": np.array(nirs_clab, dtype=object),
        "fs": NIRS_FS,
        "wavelengths": np.array([760.0, 850.0]),
    }
    return eeg_cnt, nirs_cnt, mrk


def _cells(items):
    cells = np.empty((1, len(items)), dtype=object)
    for k, item in enumerate(items):
        cells[0, k] = item
    return cells


def write_subject(root, subject=1, seed=0):
    """Write cnt.mat/mrk.mat for EEG and NIRS of one subject, six sessions."""
    rng = np.random.default_rng(seed)
    sessions = [_session(rng, s) for s in range(6)]
    eeg_dir = root / "EEG" / f"subject {subject:02d}" / "with occular artifact"
    nirs_dir = root / "NIRS" / f"subject {subject:02d}"
    for folder, idx in ((eeg_dir, 0), (nirs_dir, 1)):
        folder.mkdir(parents=True)
        savemat(folder / "cnt.mat", {"cnt": _cells([s[idx] for s in sessions])})
        savemat(folder / "mrk.mat", {"mrk": _cells([s[2] for s in sessions])})
    return eeg_dir, nirs_dir


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    root = tmp_path_factory.mktemp("shin2017")
    write_subject(root, 1)
    return root


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pooch.retrieve must not be called in this test")

    monkeypatch.setattr(pooch, "retrieve", refuse)


def test_read_raw_layout(release):
    sessions = read_shin2017_raw(1, dataset="B", data_path=release)
    assert len(sessions) == 3
    eeg, nirs = sessions[0]
    assert eeg.info["sfreq"] == EEG_FS and nirs.info["sfreq"] == NIRS_FS
    assert eeg.get_channel_types().count("eog") == 2
    # 'AF7Fp1', 'AF3Fp1': sources AF7, AF3 share detector Fp1
    assert nirs.ch_names[:4] == ["S1_D1 760", "S1_D1 850", "S2_D1 760", "S2_D1 850"]
    assert set(nirs.get_channel_types()) == {"fnirs_cw_amplitude"}
    # microvolts converted to volts
    assert 1e-6 < np.std(eeg.get_data(picks="eeg")) < 1e-4
    # source-detector distance read from the 10-05 positions of AF7 and Fp1 (a few cm)
    loc = nirs.info["chs"][0]["loc"]
    assert 0.01 < np.linalg.norm(loc[3:6] - loc[6:9]) < 0.06
    # marker at 1-based sample (ms) -> onset in seconds
    np.testing.assert_allclose(eeg.annotations.onset, ONSET0 + SPACING * np.arange(N_TRIALS))
    assert list(eeg.annotations.description) == [
        "mental_arithmetic",
        "baseline",
        "baseline",
        "mental_arithmetic",
    ]


def test_load_pairs_trials_and_labels(release):
    data = load_shin2017(1, dataset="B", data_path=release)
    assert isinstance(data.X, SliceDict)
    n = 3 * N_TRIALS
    assert data.X["eeg"].shape == (n, 6, int(10 * EEG_FS) + 1)
    assert data.X["fnirs"].shape == (n, 2 * len(NIRS_PAIRS), int(17 * NIRS_FS) + 1)
    np.testing.assert_array_equal(data.y, np.tile(np.where(ROWS == 0, 1, 0), 3))
    np.testing.assert_array_equal(data.groups, np.ones(n))
    assert list(data.metadata["session"].unique()) == [2, 4, 6]
    assert data.info["fnirs"]["ch_types"][:2] == ["hbo", "hbr"]
    assert data.info["event_id"] == {"mental_arithmetic": 1, "baseline": 0}
    # the injected effects land in the MA trials: 10 Hz EEG power, haemodynamic change
    ma = data.y == 1
    eeg_power = data.X["eeg"].var(axis=(1, 2))
    assert eeg_power[ma].min() > 5 * eeg_power[~ma].max()
    good = [k for k, c in enumerate(data.info["fnirs"]["ch_names"]) if "S4" not in c]
    hb = np.abs(data.X["fnirs"][:, good]).mean(axis=(1, 2))
    assert hb[ma].min() > 3 * hb[~ma].max()
    # the pair with uncorrelated wavelengths fails the scalp coupling index
    assert data.info["fnirs"]["bads"] == ["S4_D3 hbo", "S4_D3 hbr"]  # Fp1 is shared by two pairs
    # per-modality metadata as the other loaders give it, with each modality's time axis
    for name, sfreq, start in (("eeg", EEG_FS, 0.0), ("fnirs", NIRS_FS, -2.0)):
        meta = data.info[name]
        assert meta["sfreq"] == sfreq and meta["tmin"] == start
        assert len(meta["times"]) == data.X[name].shape[-1] and meta["times"][0] == start


def test_dataset_a_labels_and_epochs(release):
    epochs = load_shin2017(1, dataset="A", data_path=release, return_epochs=True)
    assert set(epochs) == {"eeg", "fnirs"}
    assert len(epochs["eeg"]) == len(epochs["fnirs"]) == 3 * N_TRIALS
    # row 0 of mrk.y is the left hand in dataset A
    assert epochs["eeg"].metadata["session"].tolist()[:1] == [1]
    assert (epochs["eeg"].events[:, 2] - 1).tolist()[:4] == [0, 1, 1, 0]


def test_licence_required_without_files(tmp_path):
    with pytest.raises(ValueError, match="accept=True") as err:
        fetch_shin2017(2, data_path=tmp_path)
    assert "TNSRE" in str(err.value) and LICENCE[:40] in str(err.value)


def test_download_goes_through_pooch(tmp_path, monkeypatch):
    source = tmp_path / "src"
    write_subject(source, 7)
    archives = {}
    for name, folder in (("EEG", source / "EEG"), ("NIRS", source / "NIRS")):
        archives[name] = tmp_path / f"{name}_built.zip"
        with zipfile.ZipFile(archives[name], "w") as zf:
            for file in folder.rglob("*.mat"):
                zf.write(file, file.relative_to(folder))
    urls = []

    def fake_retrieve(url, known_hash, fname, path, progressbar):
        urls.append(url)
        target = path / fname
        target.write_bytes(archives["EEG" if "/EEG/" in url else "NIRS"].read_bytes())
        return str(target)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    root = tmp_path / "cache"
    assert fetch_shin2017(7, data_path=root, accept=True) == root
    assert urls == [f"{_shin2017.URL}/EEG/EEG_06-10.zip", f"{_shin2017.URL}/NIRS/NIRS_01-29.zip"]
    assert (root / "NIRS" / "subject 07" / "mrk.mat").is_file()
    assert not list(root.glob("*.zip"))  # archives removed after unpacking
    # second call finds the files: no new download
    fetch_shin2017(7, data_path=root, accept=True)
    assert len(urls) == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"subjects": 30}, "between 1 and 29"),
        ({"dataset": "C"}, "dataset must be 'A'"),
        ({"eeg_window": (5.0, 1.0)}, "tmin < tmax"),
        ({"fnirs_kwargs": {"h_freq": 6.0}}, "Nyquist"),
    ],
)
def test_bad_arguments(release, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_shin2017(**{"subjects": 1, "data_path": release, **kwargs})


def test_corrupt_file_has_clear_error(tmp_path):
    eeg_dir, _ = write_subject(tmp_path, 3)
    savemat(eeg_dir / "mrk.mat", {"markers": np.zeros(3)})
    with pytest.raises(ValueError, match="no variable 'mrk'"):
        read_shin2017_raw(3, data_path=tmp_path)


@pytest.mark.filterwarnings("ignore:Omitted 2 annotation")  # mne says so; expected here
def test_session_without_markers_has_clear_error(tmp_path):
    _, nirs_dir = write_subject(tmp_path, 4)
    # markers after the end of the NIRS recording: mne drops them, no trial is left
    late = {"time": np.array([1e9, 2e9]), "y": np.eye(2)}
    savemat(nirs_dir / "mrk.mat", {"mrk": _cells([late] * 6)})
    with pytest.raises(ValueError, match=r"Subject 4, session 2 NIRS has no annotations.*marker"):
        load_shin2017(4, data_path=tmp_path)
