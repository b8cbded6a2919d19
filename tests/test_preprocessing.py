"""fNIRS and EEG preprocessing chains on small synthetic mne Raw objects."""

import mne
import numpy as np
import pytest

from skpid.preprocessing import preprocess_eeg, preprocess_fnirs

SFREQ_NIRS = 10.0


def _nirs_raw(seed=0, n_pairs=3, duration=200.0, bad_pair=None, absorption=None):
    """Raw CW intensities with a shared cardiac pulse (good coupling) and optode positions."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * SFREQ_NIRS)) / SFREQ_NIRS
    names, data, locs = [], [], []
    cardiac = np.sin(2 * np.pi * 1.0 * t)
    for p in range(n_pairs):
        src = np.array([0.03 * p, 0.0, 0.08])
        det = src + np.array([0.0, 0.03, 0.0])
        for wl in (760, 850):
            pulse = rng.normal(size=t.size) if p == bad_pair else cardiac
            x = 1.0 + 0.01 * pulse + 0.001 * rng.normal(size=t.size)
            if absorption is not None:
                x = x * np.exp(-absorption[wl](t))
            names.append(f"S{p + 1}_D{p + 1} {wl}")
            data.append(x)
            loc = np.zeros(12)
            loc[:3], loc[3:6], loc[6:9], loc[9] = (src + det) / 2, src, det, wl
            locs.append(loc)
    info = mne.create_info(names, SFREQ_NIRS, "fnirs_cw_amplitude")
    for ch, loc in zip(info["chs"], locs, strict=True):
        ch["loc"][:] = loc
    return mne.io.RawArray(np.array(data), info, verbose="error")


def _eeg_raw(seed=0, sfreq=250.0, duration=20.0):
    rng = np.random.default_rng(seed)
    names = ["Fz", "Cz", "Pz", "C3", "C4"]
    t = np.arange(int(duration * sfreq)) / sfreq
    data = 1e-5 * rng.normal(size=(len(names), t.size))
    data += 2e-5 * np.sin(2 * np.pi * 50.0 * t)  # line noise, common to all
    data[1] += 3e-6  # DC offset on Cz
    info = mne.create_info([*names, "EOG"], sfreq, ["eeg"] * len(names) + ["eog"])
    return mne.io.RawArray(np.vstack([data, 1e-4 * rng.normal(size=t.size)]), info, verbose="error")


def _band_power(x, sfreq, lo, hi):
    freqs = np.fft.rfftfreq(x.shape[-1], 1 / sfreq)
    spec = np.abs(np.fft.rfft(x, axis=-1)) ** 2
    return spec[..., (freqs >= lo) & (freqs <= hi)].sum(axis=-1)


def test_fnirs_chain_outputs_haemoglobin_and_marks_bad_pairs():
    raw = _nirs_raw(bad_pair=1)
    hb = preprocess_fnirs(raw, sci_threshold=0.5)
    assert hb.get_channel_types() == ["hbo", "hbr"] * 3
    assert hb.ch_names[:2] == ["S1_D1 hbo", "S1_D1 hbr"]
    assert hb.info["bads"] == ["S2_D2 hbo", "S2_D2 hbr"]
    assert hb.get_data().shape == (6, raw.n_times)  # bad pairs kept in the data
    assert raw.get_channel_types()[0] == "fnirs_cw_amplitude"  # input untouched
    # threshold 0 keeps everything
    assert preprocess_fnirs(raw, sci_threshold=0).info["bads"] == []


def test_fnirs_chain_recovers_sign_of_absorption_and_band():
    # an absorption rise at 850 nm larger than at 760 nm is an HbO increase (HbO absorbs
    # more at 850 nm, HbR more at 760 nm): HbO goes up and HbR down.
    def bump(t):
        return np.exp(-0.5 * ((t - 100.0) / 8.0) ** 2)

    absorption = {760: lambda t: 0.01 * bump(t), 850: lambda t: 0.03 * bump(t)}
    hb = preprocess_fnirs(_nirs_raw(absorption=absorption), sci_threshold=0)
    x = hb.get_data()
    t = hb.times
    peak = (t > 95) & (t < 105)
    assert x[0, peak].mean() > 0 > x[1, peak].mean()
    # ppf scales concentrations inversely
    x3 = preprocess_fnirs(_nirs_raw(absorption=absorption), sci_threshold=0, ppf=3.0).get_data()
    np.testing.assert_allclose(x3, 2 * x, rtol=1e-6, atol=1e-12)
    # the cardiac pulse (1 Hz) is removed by the 0.01-0.1 Hz band-pass
    unfiltered = preprocess_fnirs(_nirs_raw(), sci_threshold=0, l_freq=None, h_freq=None)
    filtered = preprocess_fnirs(_nirs_raw(), sci_threshold=0)
    ratio = _band_power(filtered.get_data(), SFREQ_NIRS, 0.8, 1.2) / _band_power(
        unfiltered.get_data(), SFREQ_NIRS, 0.8, 1.2
    )
    assert np.all(ratio < 1e-3)


def test_fnirs_accepts_optical_density():
    raw = _nirs_raw()
    od = mne.preprocessing.nirs.optical_density(raw, verbose="error")
    np.testing.assert_allclose(
        preprocess_fnirs(od, sci_threshold=0).get_data(),
        preprocess_fnirs(raw, sci_threshold=0).get_data(),
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"h_freq": 5.0}, "Nyquist"),
        ({"l_freq": 0.2, "h_freq": 0.1}, "must be below h_freq"),
        ({"sci_threshold": 1.5}, "between 0 and 1"),
        ({"ppf": -1.0}, "ppf must be a positive"),
        ({"ppf": "six"}, "ppf must be a positive"),
    ],
)
def test_fnirs_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        preprocess_fnirs(_nirs_raw(duration=30.0), **kwargs)


def test_fnirs_wrong_input():
    with pytest.raises(TypeError, match=r"mne\.io\.Raw"):
        preprocess_fnirs(np.zeros((4, 100)))
    with pytest.raises(ValueError, match="no 'fnirs_cw_amplitude'"):
        preprocess_fnirs(_eeg_raw())
    hb = preprocess_fnirs(_nirs_raw(duration=30.0), sci_threshold=0)
    with pytest.raises(ValueError, match="already converted"):
        preprocess_fnirs(hb)
    with pytest.raises(ValueError, match="lower sci_threshold"):
        preprocess_fnirs(_nirs_raw(duration=60.0, n_pairs=1, bad_pair=0), sci_threshold=0.9)
    slow = _nirs_raw(duration=60.0).resample(2.0, verbose="error")
    with pytest.raises(ValueError, match="cardiac band"):
        preprocess_fnirs(slow, h_freq=0.5)


def test_eeg_chain_notch_band_reference():
    raw = _eeg_raw()
    out = preprocess_eeg(raw, l_freq=1.0, h_freq=40.0, notch=50.0, reference="average")
    eeg = out.get_data(picks="eeg")
    # average reference: channels sum to zero at every sample
    np.testing.assert_allclose(eeg.sum(axis=0), 0, atol=1e-12)
    before = _band_power(raw.get_data(picks="eeg"), 250.0, 49, 51)
    after = _band_power(eeg, 250.0, 49, 51)
    assert np.all(after < 1e-3 * before)
    # EOG left alone, input untouched
    np.testing.assert_array_equal(out.get_data(picks="eog"), raw.get_data(picks="eog"))
    assert np.abs(raw.get_data(picks="eeg").sum(axis=0)).max() > 1e-6


def test_eeg_reference_to_channel_and_none():
    raw = _eeg_raw()
    out = preprocess_eeg(raw, l_freq=None, h_freq=None, notch=None, reference=["Cz"])
    np.testing.assert_allclose(out.get_data(picks=["Cz"]), 0, atol=1e-15)
    kept = preprocess_eeg(raw, l_freq=None, h_freq=None, notch=None, reference=None)
    np.testing.assert_array_equal(kept.get_data(), raw.get_data())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"h_freq": 130.0}, "Nyquist"),
        ({"l_freq": 30.0, "h_freq": 10.0}, "must be below h_freq"),
        ({"notch": 150.0}, "notch frequencies"),
        ({"reference": ["M1"]}, "not in the recording"),
        ({"l_freq": -1.0}, "positive frequency"),
    ],
)
def test_eeg_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        preprocess_eeg(_eeg_raw(duration=5.0), **kwargs)


def test_eeg_without_eeg_channels():
    with pytest.raises(ValueError, match="no EEG channels"):
        preprocess_eeg(_nirs_raw(duration=30.0))
