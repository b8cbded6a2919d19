"""Tests of skpid.io: mne Epochs <-> multimodal batches."""

import logging

import matplotlib.pyplot as plt
import mne
import numpy as np
import pytest
from skorch.helper import SliceDict

from skpid.io import from_epochs, to_epochs

N_EPOCHS = 6
EEG = ["C3", "Cz", "C4", "Pz"]
# source/detector pairs, each with an hbo then an hbr channel as mne expects
FNIRS = ["S1_D1 hbo", "S1_D1 hbr", "S2_D1 hbo", "S2_D1 hbr", "S2_D2 hbo", "S2_D2 hbr"]
OPTODES = {"S1": "FC3", "S2": "FC1", "D1": "C1", "D2": "FCz"}  # optode -> 10-20 position
EVENT_ID = {"rest": 1, "task": 2}
CODES = np.array([1, 2, 2, 1, 2, 1])


def _montage():
    """Standard 10-20 positions, with four of them used as fNIRS optodes."""
    builtin = mne.channels.get_builtin_montages()
    name = "colin27_1020" if "colin27_1020" in builtin else "standard_1020"
    montage = mne.channels.make_standard_montage(name)
    montage.rename_channels({pos: optode for optode, pos in OPTODES.items()})
    return montage


def _events(n=N_EPOCHS, codes=CODES):
    return np.column_stack([np.arange(n) * 1000, np.zeros(n, int), codes[:n]])


def _epochs(ch_names, ch_types, sfreq, n_times, *, tmin=-0.2, seed=0, scale=1e-5):
    info = mne.create_info(ch_names, sfreq, ch_types)
    if any(t in ("eeg", "hbo", "hbr") for t in ch_types):
        info.set_montage(_montage(), on_missing="ignore")
    rng = np.random.default_rng(seed)
    data = scale * rng.standard_normal((N_EPOCHS, len(ch_names), n_times))
    return mne.EpochsArray(
        data, info, events=_events(), event_id=EVENT_ID, tmin=tmin, verbose=False
    )


@pytest.fixture
def mixed():
    """One Epochs object with EEG, HbO/HbR interleaved, EOG and stim channels."""
    names = ["C3", "S1_D1 hbo", "S1_D1 hbr", "Cz", "EOG", "C4", *FNIRS[2:], "Pz", "STI"]
    types = ["eeg", "hbo", "hbr", "eeg", "eog", "eeg", "hbo", "hbr", "hbo", "hbr", "eeg", "stim"]
    return _epochs(names, types, sfreq=50.0, n_times=40)


@pytest.fixture
def eeg_epochs():
    return _epochs(EEG, ["eeg"] * 4, sfreq=100.0, n_times=80, tmin=-0.2, seed=1)


@pytest.fixture
def fnirs_epochs():
    return _epochs(FNIRS, ["hbo", "hbr"] * 3, sfreq=10.0, n_times=25, tmin=-1.0, seed=2, scale=1e-7)


# --- from_epochs: one mixed Epochs -----------------------------------------------------------


def test_mixed_epochs_split_by_type(mixed, caplog):
    with caplog.at_level(logging.INFO, logger="skpid.io"):
        X, info = from_epochs(mixed)
    assert isinstance(X, SliceDict)
    assert list(X) == ["eeg", "fnirs"]
    assert info["eeg"]["ch_names"] == EEG
    assert info["fnirs"]["ch_names"] == FNIRS  # recording order, hbo/hbr pairs kept
    assert info["fnirs"]["ch_types"] == ["hbo", "hbr"] * 3
    np.testing.assert_array_equal(X["eeg"], mixed.get_data(picks=EEG))
    np.testing.assert_array_equal(X["fnirs"], mixed.get_data(picks=FNIRS))
    assert X["eeg"].shape == (N_EPOCHS, 4, 40)
    assert X["eeg"].dtype == np.float64
    for meta in info.values():
        assert meta["sfreq"] == 50.0
        assert meta["tmin"] == pytest.approx(-0.2)
        np.testing.assert_array_equal(meta["events"][:, 2], CODES)
        assert meta["event_id"] == EVENT_ID
        assert meta["mne_info"]["ch_names"] == meta["ch_names"]
    assert "eog" in caplog.text and "stim" in caplog.text


def test_mixed_epochs_split_hb(mixed):
    X, info = from_epochs(mixed, split_hb=True)
    assert list(X) == ["eeg", "hbo", "hbr"]
    assert info["hbo"]["ch_names"] == FNIRS[0::2]
    assert info["hbr"]["ch_names"] == FNIRS[1::2]
    assert set(info["hbo"]["ch_types"]) == {"hbo"}
    np.testing.assert_array_equal(X["hbr"], mixed.get_data(picks=FNIRS[1::2]))


def test_mixed_epochs_keep_locations(mixed):
    _, info = from_epochs(mixed)
    for modality in ("eeg", "fnirs"):
        sub = info[modality]["mne_info"]
        for ch in sub["chs"]:
            original = mixed.info["chs"][mixed.ch_names.index(ch["ch_name"])]
            np.testing.assert_array_equal(ch["loc"], original["loc"])
            assert np.all(np.isfinite(ch["loc"][:3]))
    # fNIRS channels carry source (loc[3:6]) and detector (loc[6:9]) positions
    s1_d1 = info["fnirs"]["mne_info"]["chs"][0]["loc"]
    assert not np.allclose(s1_d1[3:6], s1_d1[6:9])
    np.testing.assert_allclose(s1_d1[:3], (s1_d1[3:6] + s1_d1[6:9]) / 2)


def test_only_one_supported_type(eeg_epochs):
    X, info = from_epochs(eeg_epochs)
    assert list(X) == ["eeg"]
    assert info["eeg"]["ch_names"] == EEG
    X, _ = from_epochs(eeg_epochs, split_hb=True)
    assert list(X) == ["eeg"]


def test_picks_restrict_the_split(mixed):
    X, info = from_epochs(mixed, picks=["C3", "Cz", "S1_D1 hbo", "S1_D1 hbr"])
    assert info["eeg"]["ch_names"] == ["C3", "Cz"]
    assert info["fnirs"]["ch_names"] == ["S1_D1 hbo", "S1_D1 hbr"]
    X, _ = from_epochs(mixed, picks="eeg")
    assert list(X) == ["eeg"]


def test_dropped_epochs_are_left_out(mixed):
    mixed.drop([1, 4], verbose=False)
    X, info = from_epochs(mixed)
    assert X["eeg"].shape[0] == N_EPOCHS - 2
    np.testing.assert_array_equal(info["eeg"]["events"][:, 2], CODES[[0, 2, 3, 5]])
    np.testing.assert_array_equal(X["eeg"], mixed.get_data(picks="eeg"))


def test_unpreloaded_epochs_with_rejection():
    rng = np.random.default_rng(3)
    info = mne.create_info(
        ["C3", "Cz", "S1_D1 hbo", "S1_D1 hbr", "STI"], 100.0, ["eeg", "eeg", "hbo", "hbr", "stim"]
    )
    data = 1e-6 * rng.standard_normal((5, 3000))
    data[4] = 0
    data[4, [200, 800, 1400, 2000]] = [1, 2, 1, 2]
    data[0, 1450] = 1e-3  # an artefact in the third epoch
    raw = mne.io.RawArray(data, info, verbose=False)
    events = mne.find_events(raw, verbose=False)
    epochs = mne.Epochs(
        raw,
        events,
        EVENT_ID,
        tmin=-0.1,
        tmax=0.5,
        baseline=None,
        reject={"eeg": 1e-4},
        preload=False,
        verbose=False,
    )
    X, info = from_epochs(epochs)
    assert X["eeg"].shape == (3, 2, 61)
    np.testing.assert_array_equal(info["eeg"]["events"][:, 2], [1, 2, 2])
    np.testing.assert_allclose(X["fnirs"][0], data[2:4, 190:251])


def test_all_epochs_dropped(mixed):
    mixed.drop(np.arange(N_EPOCHS), verbose=False)
    with pytest.raises(ValueError, match=r"All epochs were dropped.*drop_log"):
        from_epochs(mixed)


def test_no_supported_type():
    epochs = _epochs(["EOG", "ECG", "MISC"], ["eog", "ecg", "misc"], 50.0, 10)
    with pytest.raises(ValueError, match=r"no channel of a supported type.*found \['ecg', 'eog', "):
        from_epochs(epochs)


def test_unsupported_data_channels_warn(mixed):
    od = _epochs(["S1_D1 760", "S1_D1 850"], ["fnirs_od"] * 2, 50.0, 40)
    both = mixed.copy().add_channels([od], force_update_info=True)
    with pytest.warns(UserWarning, match=r"left out 2 data channel.*fnirs_od.*beer_lambert_law"):
        X, _ = from_epochs(both)
    assert list(X) == ["eeg", "fnirs"]
    with pytest.raises(ValueError, match=r"no channel of a supported type.*fnirs_od"):
        from_epochs(od)


def test_picks_with_absent_names(mixed):
    with pytest.raises(ValueError, match=r"picks \['Fz'\] match no channel name or channel type"):
        from_epochs(mixed, picks=["C3", "Fz"])


# --- from_epochs: one Epochs per modality ------------------------------------------------------


def test_modalities_by_name_with_different_sfreq(eeg_epochs, fnirs_epochs):
    X, info = from_epochs(eeg=eeg_epochs, fnirs=fnirs_epochs)
    assert list(X) == ["eeg", "fnirs"]
    assert X["eeg"].shape == (N_EPOCHS, 4, 80)
    assert X["fnirs"].shape == (N_EPOCHS, 6, 25)
    assert info["eeg"]["sfreq"] == 100.0
    assert info["fnirs"]["sfreq"] == 10.0
    assert info["fnirs"]["tmin"] == pytest.approx(-1.0)
    np.testing.assert_array_equal(X["fnirs"], fnirs_epochs.get_data())
    # SliceDict rows stay aligned across modalities of different lengths
    sub = X[np.array([0, 3])]
    np.testing.assert_array_equal(sub["fnirs"], fnirs_epochs.get_data()[[0, 3]])


def test_modalities_by_name_leave_out_auxiliary_channels(mixed, caplog):
    with caplog.at_level(logging.INFO, logger="skpid.io"):
        _, info = from_epochs(both=mixed)
    assert "EOG" not in info["both"]["ch_names"] and "STI" not in info["both"]["ch_names"]
    assert len(info["both"]["ch_names"]) == 10
    assert "auxiliary" in caplog.text
    _, info = from_epochs(both=mixed, picks="all")
    assert len(info["both"]["ch_names"]) == 12


def test_unequal_epoch_counts(eeg_epochs, fnirs_epochs):
    fnirs_epochs.drop([0], verbose=False)
    with pytest.raises(ValueError, match=r"different numbers of epochs: \{'eeg': 6, 'fnirs': 5\}"):
        from_epochs(eeg=eeg_epochs, fnirs=fnirs_epochs)


def test_misaligned_event_codes(eeg_epochs):
    other = mne.EpochsArray(
        eeg_epochs.get_data(),
        eeg_epochs.info,
        events=_events(codes=CODES[::-1]),
        event_id=EVENT_ID,
        verbose=False,
    )
    with pytest.raises(ValueError, match=r"event codes differ at epochs \[2, 3\]"):
        from_epochs(a=eeg_epochs, b=other)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((), {}, ValueError, r"No Epochs given"),
        (("epochs",), {"fnirs": "epochs"}, ValueError, r"not both"),
        ((np.zeros((3, 2, 5)),), {}, TypeError, r"must be an mne.Epochs.*got ndarray"),
        ((), {"eeg": "raw"}, TypeError, r"eeg must be an mne.Epochs.*got RawArray.*mne.Epochs"),
        (("epochs",), {"split_hb": 1}, TypeError, r"split_hb must be True or False"),
        ((), {"eeg": "epochs", "split_hb": True}, ValueError, r"split_hb only applies"),
    ],
)
def test_from_epochs_bad_arguments(mixed, args, kwargs, error, match):
    raw = mne.io.RawArray(np.zeros((1, 10)), mne.create_info(1, 10.0, "eeg"), verbose=False)
    subs = {"epochs": mixed, "raw": raw}
    args = [subs.get(a, a) if isinstance(a, str) else a for a in args]
    kwargs = {k: subs.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}
    with pytest.raises(error, match=match):
        from_epochs(*args, **kwargs)


# --- to_epochs and the round trip ---------------------------------------------------------------


def test_round_trip(eeg_epochs, fnirs_epochs):
    _, info = from_epochs(eeg=eeg_epochs, fnirs=fnirs_epochs)
    rng = np.random.default_rng(4)
    X = SliceDict(eeg=rng.standard_normal((N_EPOCHS, 4, 80)), fnirs=rng.random((N_EPOCHS, 6, 25)))
    epochs = to_epochs(X, info)
    assert all(isinstance(ep, mne.EpochsArray) for ep in epochs.values())
    X2, info2 = from_epochs(**epochs)
    for name in ("eeg", "fnirs"):
        np.testing.assert_array_equal(X2[name], X[name])
        for key in ("ch_names", "ch_types", "sfreq", "event_id"):
            assert info2[name][key] == info[name][key]
        assert info2[name]["tmin"] == pytest.approx(info[name]["tmin"], abs=1e-12)
        np.testing.assert_array_equal(info2[name]["events"], info[name]["events"])
        for ch, ref in zip(
            info2[name]["mne_info"]["chs"], info[name]["mne_info"]["chs"], strict=True
        ):
            np.testing.assert_array_equal(ch["loc"], ref["loc"])


def test_round_trip_of_a_mixed_split(mixed):
    X, info = from_epochs(mixed, split_hb=True)
    epochs = to_epochs(X, info)
    assert epochs["hbo"].get_channel_types() == ["hbo"] * 3
    X2, _ = from_epochs(**epochs)
    for name in X:
        np.testing.assert_array_equal(X2[name], X[name])


def test_topomap_from_round_tripped_eeg(eeg_epochs):
    X, info = from_epochs(eeg=eeg_epochs)
    evoked = to_epochs(X, info)["eeg"].average()
    fig = evoked.plot_topomap(times=[0.0], show=False)
    try:
        assert len(fig.axes) >= 1
    finally:
        plt.close(fig)


def test_to_epochs_subset_of_modalities_and_epochs(eeg_epochs, fnirs_epochs):
    X, info = from_epochs(eeg=eeg_epochs, fnirs=fnirs_epochs)
    test_idx = np.array([1, 2, 5])
    epochs = to_epochs(
        {"fnirs": X["fnirs"][test_idx]}, info, events=info["fnirs"]["events"][test_idx]
    )
    assert list(epochs) == ["fnirs"]
    np.testing.assert_array_equal(epochs["fnirs"].events[:, 2], CODES[test_idx])
    assert epochs["fnirs"].event_id == EVENT_ID
    np.testing.assert_array_equal(epochs["fnirs"].get_data(), X["fnirs"][test_idx])


def test_to_epochs_float32_and_different_length(eeg_epochs):
    X, info = from_epochs(eeg=eeg_epochs)
    shorter = X["eeg"][:, :, 10:30].astype(np.float32)
    ep = to_epochs({"eeg": shorter}, info)["eeg"]
    assert ep.get_data().shape == (N_EPOCHS, 4, 20)
    assert ep.tmin == pytest.approx(-0.2)
    np.testing.assert_allclose(ep.get_data(), shorter, rtol=1e-7)


@pytest.mark.parametrize(
    ("make_X", "kwargs", "error", "match"),
    [
        (lambda X: X["eeg"], {}, TypeError, r"X must be a dict/SliceDict.*got ndarray"),
        (lambda X: {"meg": X["eeg"]}, {}, ValueError, r"Modalities \['meg'\] of X are not in info"),
        (lambda X: {"eeg": X["eeg"][:, :3]}, {}, ValueError, r"has 3 channels but info\['eeg'\]"),
        (lambda X: {"eeg": X["eeg"][:, :, 0]}, {}, ValueError, r"Tabular features cannot"),
        (lambda X: {"eeg": X["eeg"][:2]}, {}, ValueError, r"holds events for 6 epochs.*has 2"),
        (
            lambda X: X,
            {"events": np.zeros((6, 2), int)},
            ValueError,
            r"\(n_epochs, 3\) = \(6, 3\).*got shape \(6, 2\)",
        ),
        (lambda X: X, {"events": np.zeros((6, 3))}, ValueError, r"integer array.*float64"),
        (lambda X: {"eeg": X["eeg"] * np.nan}, {}, ValueError, r"NaN or infinite"),
    ],
)
def test_to_epochs_mismatch_errors(eeg_epochs, make_X, kwargs, error, match):
    X, info = from_epochs(eeg=eeg_epochs)
    with pytest.raises(error, match=match):
        to_epochs(make_X(X), info, **kwargs)


@pytest.mark.parametrize(
    ("info", "error", "match"),
    [
        (None, TypeError, r"info must be the dict returned by from_epochs"),
        ({}, TypeError, r"info must be the dict returned by from_epochs"),
        ({"eeg": {"tmin": 0.0}}, ValueError, r"info\['eeg'\] lacks \['mne_info'\]"),
        ({"eeg": {"tmin": 0.0, "mne_info": {}}}, TypeError, r"must be an mne.Info"),
    ],
)
def test_to_epochs_bad_info(eeg_epochs, info, error, match):
    X, _ = from_epochs(eeg=eeg_epochs)
    with pytest.raises(error, match=match):
        to_epochs(X, info)
