"""Readers of the real recordings in shared/data (skipped when the folder is absent)."""

import mne
import numpy as np
import pytest
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.model_selection import StratifiedKFold, cross_val_score

from skpid.datasets._real import (
    EEGMAT_EVENT_ID,
    FINEMI_EVENT_ID,
    load_eegmat,
    load_finemi_fnirs,
    load_shin2017_ma_fnirs,
)


@pytest.mark.parametrize("loader", [load_shin2017_ma_fnirs, load_finemi_fnirs, load_eegmat])
def test_missing_folder_is_explained(tmp_path, loader):
    with pytest.raises(FileNotFoundError, match="Pass the folder"):
        loader(tmp_path)
    with pytest.raises(TypeError, match="path is required"):
        loader(None)


def test_shin_ma_arrays(shared_data):
    data = load_shin2017_ma_fnirs(shared_data, [1, 2])
    assert data.X.shape == (120, 72, 350)
    assert data.info["ch_types"][:2] == ["hbo", "hbr"]
    assert data.info["sfreq"] == 10.0
    np.testing.assert_array_equal(np.bincount(data.y), [60, 60])
    np.testing.assert_array_equal(np.unique(data.groups), [1, 2])
    raw = np.load(shared_data / "shin2017_ma_fnirs" / "subject01.npz")
    np.testing.assert_array_equal(data.X[:60, 0::2], raw["hbo"])
    np.testing.assert_array_equal(data.X[:60, 1::2], raw["hbr"])
    np.testing.assert_array_equal(data.y[:60], raw["label"] == 1)


def test_shin_ma_crop_epochs_and_labels_carry_signal(shared_data):
    data = load_shin2017_ma_fnirs(shared_data / "shin2017_ma_fnirs", 1, tmin=0.0, tmax=15.0)
    assert data.X.shape == (60, 72, 151)
    np.testing.assert_allclose(data.info["times"][[0, -1]], [0.0, 15.0])
    # mean HbO/HbR in 5-15 s separates MA from baseline (sanity check of the labels)
    features = data.X[..., 50:].mean(axis=-1)
    lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    assert cross_val_score(lda, features, data.y, cv=cv).mean() > 0.7
    epochs = load_shin2017_ma_fnirs(shared_data, 1, return_epochs=True)
    assert isinstance(epochs, mne.BaseEpochs) and len(epochs) == 60
    assert epochs.metadata["subject"].eq(1).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"subjects": [42]}, "not found"), ({"tmin": -20.0}, "leaves the stored epochs")],
)
def test_shin_ma_bad_arguments(shared_data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_shin2017_ma_fnirs(shared_data, **{"subjects": 1, **kwargs})


def test_finemi_block(shared_data):
    data = load_finemi_fnirs(shared_data, blocks=1)
    sfreq = data.info["sfreq"]
    assert sfreq == pytest.approx(7.8125)
    assert data.X.shape == (40, 48, len(data.info["times"]))
    assert set(data.info["ch_types"]) == {"hbo", "hbr"}
    np.testing.assert_array_equal(np.bincount(data.y)[1:], [5] * 8)
    assert data.info["event_id"] == FINEMI_EVENT_ID
    assert set(data.info["bads"]) <= set(data.info["ch_names"])
    assert np.all(np.isfinite(data.X))
    # baseline (None, 0): pre-cue mean is zero on every channel
    pre = data.info["times"] <= 0
    np.testing.assert_allclose(data.X[..., pre].mean(axis=-1), 0, atol=1e-12)
    assert np.all(np.diff(data.metadata["onset_s"]) > 10)
    with pytest.raises(ValueError, match="not found"):
        load_finemi_fnirs(shared_data, blocks=[9])


def test_eegmat_windows_kept_apart(shared_data):
    data = load_eegmat(shared_data, subjects=0, window=4.0, n_blocks=5)
    assert data.X.shape[1:] == (19, 2000)
    assert data.info["ch_names"][:3] == ["Fp1", "Fp2", "F3"]
    assert data.info["event_id"] == EEGMAT_EVENT_ID
    np.testing.assert_array_equal(np.bincount(data.y), [15, 15])
    for label in (0, 1):
        meta = data.metadata[data.metadata["label"] == label]
        assert np.all(np.diff(meta["onset_s"]) >= 4.0)  # no overlapping windows
        assert meta["block"].is_monotonic_increasing
        assert set(meta["block"]) == set(range(5))
    # average reference, volts
    np.testing.assert_allclose(data.X.sum(axis=1), 0, atol=1e-9)
    assert 1e-7 < data.X.std() < 1e-3
    unbalanced = load_eegmat(shared_data, subjects=0, balance=False)
    assert np.bincount(unbalanced.y)[0] > np.bincount(unbalanced.y)[1]
    epochs = load_eegmat(shared_data, subjects=0, return_epochs=True)
    assert epochs.get_montage() is not None
    with pytest.raises(ValueError, match="window must be"):
        load_eegmat(shared_data, subjects=0, window=-1)
