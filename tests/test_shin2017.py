"""TU Berlin hybrid BCI loader, on files shaped like the release (tests/shin2017_release.py)."""

import functools
import http.server
import threading
import warnings
import zipfile

import matplotlib
import mne
import numpy as np
import pooch
import pytest
from mne.io.constants import FIFF
from mne.preprocessing.nirs import source_detector_distances
from scipy.io import loadmat, savemat
from shin2017_release import (
    EEG_CLAB,
    EEG_FS,
    NIRS_CLAB,
    NIRS_DELAY,
    NIRS_FRONTAL,
    NIRS_FS,
    NIRS_MOTOR_LEFT,
    NIRS_MOTOR_RIGHT,
    NIRS_OCCIPITAL,
    NIRS_PAIRS,
    _cells,
    drop_marker,
    make_subject,
    plot_sensors_on_head,
    write_subject,
)
from skorch.helper import SliceDict

from skpid._utils import standard_montage
from skpid.datasets import _shin2017
from skpid.datasets._download import file_sha256
from skpid.datasets._shin2017 import (
    LICENCE,
    _pair_markers,
    fetch_shin2017,
    load_shin2017,
    read_shin2017_raw,
)
from skpid.io import to_epochs

matplotlib.use("Agg")

N_TRIALS = 4
REAL_RETRIEVE = pooch.retrieve
MA_SESSIONS = (1, 3, 5)  # 0-based indices of sessions 2, 4, 6


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path_factory):
    """No network, no MOABB folder of the machine, no mirror settings from outside."""

    def refuse(*args, **kwargs):
        raise AssertionError("pooch.retrieve must not be called in this test")

    monkeypatch.setattr(pooch, "retrieve", refuse)
    monkeypatch.setenv(_shin2017.MOABB_PATH_KEY, str(tmp_path_factory.mktemp("no_moabb")))
    monkeypatch.delenv(_shin2017.URL_ENV, raising=False)
    monkeypatch.delenv(_shin2017.ARCHIVES_ENV, raising=False)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    root = tmp_path_factory.mktemp("shin2017")
    _, _, sessions = write_subject(root, 1)
    return root, sessions


def _head_positions(names):
    """Head-frame positions of 10-5 names, computed by mne from the template alone."""
    info = mne.create_info(list(names), 100.0, "eeg")
    info.set_montage(standard_montage("1005"))
    return {c: ch["loc"][:3].copy() for c, ch in zip(info.ch_names, info["chs"], strict=True)}


def _split(pair):
    known = standard_montage("1005").ch_names
    return next(
        (pair[:k], pair[k:]) for k in range(1, len(pair)) if pair[:k] in known and pair[k:] in known
    )


# --------------------------------------------------------------------------------------
# the fixture itself is shaped like the release
# --------------------------------------------------------------------------------------


def test_fixture_is_release_shaped(release):
    root, _ = release
    eeg = loadmat(
        root / "EEG/subject 01/with occular artifact/cnt.mat",
        squeeze_me=True,
        struct_as_record=False,
    )["cnt"]
    nirs = loadmat(root / "NIRS/subject 01/cnt.mat", squeeze_me=True, struct_as_record=False)["cnt"]
    mrk_e = loadmat(
        root / "EEG/subject 01/with occular artifact/mrk.mat",
        squeeze_me=True,
        struct_as_record=False,
    )["mrk"]
    mrk_n = loadmat(root / "NIRS/subject 01/mrk.mat", squeeze_me=True, struct_as_record=False)[
        "mrk"
    ]
    assert len(eeg) == len(nirs) == 6
    assert list(eeg[0].clab) == EEG_CLAB and eeg[0].x.shape[1] == 32 and eeg[0].fs == 200
    clab = list(nirs[0].clab)
    assert len(clab) == 72 and all(c.endswith("lowWL") for c in clab[:36])
    assert [c[: -len("highWL")] for c in clab[36:]] == [c[: -len("lowWL")] for c in clab[:36]]
    assert nirs[0].fs == 10 and list(nirs[0].wavelengths) == [760, 850]
    assert set(mrk_e[0].event.desc) <= {16, 32} and set(mrk_n[0].event.desc) <= {1, 2}
    assert list(mrk_e[0].className) == ["LMI", "RMI"] and list(mrk_e[1].className) == ["MA", "BL"]
    # ms of 1-based samples: onsets (s) of the same trials on the two clocks
    delay = (mrk_n[0].time / 1000 - 1 / NIRS_FS) - (mrk_e[0].time / 1000 - 1 / EEG_FS)
    assert np.all(np.abs(delay - NIRS_DELAY) < 0.06)
    # 14 sources and 16 detectors, all 10-5 names
    sources, detectors = zip(*(_split(p) for p in NIRS_PAIRS), strict=True)
    assert len(set(sources)) == 14 and len(set(detectors)) == 16 and len(NIRS_PAIRS) == 36


# --------------------------------------------------------------------------------------
# reading and loading
# --------------------------------------------------------------------------------------


def test_read_raw_layout(release):
    root, written = release
    sessions = read_shin2017_raw(1, dataset="B", data_path=root)
    assert len(sessions) == 3
    eeg, nirs = sessions[0]
    assert eeg.info["sfreq"] == EEG_FS and nirs.info["sfreq"] == NIRS_FS
    assert eeg.get_channel_types().count("eog") == 2 and len(eeg.ch_names) == 32
    # 'AF7Fp1', 'AF3Fp1': sources AF7, AF3 share detector Fp1
    assert nirs.ch_names[:4] == ["S1_D1 760", "S1_D1 850", "S2_D1 760", "S2_D1 850"]
    assert set(nirs.get_channel_types()) == {"fnirs_cw_amplitude"}
    # block order of the file (lowWL block, then highWL) -> pairs in mne's order
    x = written[1]["nirs_cnt"]["x"]
    np.testing.assert_allclose(nirs.get_data()[:2], x[:, [0, 36]].T)
    assert 1e-6 < np.std(eeg.get_data(picks="eeg")) < 1e-4  # microvolts -> volts
    onsets = written[1]["onsets"]
    np.testing.assert_allclose(eeg.annotations.onset, onsets, atol=1 / EEG_FS)
    np.testing.assert_allclose(nirs.annotations.onset, onsets + NIRS_DELAY, atol=0.5 / NIRS_FS)
    names = {0: "mental_arithmetic", 1: "baseline"}
    assert list(eeg.annotations.description) == [names[r] for r in written[1]["rows"]]
    assert list(nirs.annotations.description) == list(eeg.annotations.description)


def test_load_pairs_trials_and_labels(release):
    root, written = release
    data = load_shin2017(1, dataset="B", data_path=root)
    assert isinstance(data.X, SliceDict)
    n = 3 * N_TRIALS
    assert data.X["eeg"].shape == (n, 30, int(10 * EEG_FS) + 1)
    assert data.X["fnirs"].shape == (n, 72, int(17 * NIRS_FS) + 1)
    rows = np.concatenate([written[s]["rows"] for s in MA_SESSIONS])
    np.testing.assert_array_equal(data.y, np.where(rows == 0, 1, 0))  # row 0 is MA
    np.testing.assert_array_equal(data.groups, np.ones(n))
    assert list(data.metadata["session"].unique()) == [2, 4, 6]
    np.testing.assert_array_equal(data.metadata["trial"], np.tile(np.arange(N_TRIALS), 3))
    assert data.info["fnirs"]["ch_types"][:2] == ["hbo", "hbr"]
    assert data.info["event_id"] == {"mental_arithmetic": 1, "baseline": 0}
    # the injected effects land in the MA trials: 10 Hz EEG power, haemodynamic change
    ma = data.y == 1
    eeg_power = data.X["eeg"].var(axis=(1, 2))
    assert eeg_power[ma].min() > 2 * eeg_power[~ma].max()
    optodes = data.info["fnirs"]["optodes"]
    good = [k for k, o in enumerate(optodes) if o != "C6FC6"]
    hb = np.abs(data.X["fnirs"][:, good]).mean(axis=(1, 2))
    assert hb[ma].min() > 3 * hb[~ma].max()
    # the pair with uncorrelated wavelengths (C6FC6, the last) fails the scalp coupling index
    bad = [c for c, o in zip(data.info["fnirs"]["ch_names"], optodes, strict=True) if o == "C6FC6"]
    assert data.info["fnirs"]["bads"] == bad and len(bad) == 2
    for name, sfreq, start in (("eeg", EEG_FS, 0.0), ("fnirs", NIRS_FS, -2.0)):
        meta = data.info[name]
        assert meta["sfreq"] == sfreq and meta["tmin"] == start
        assert len(meta["times"]) == data.X[name].shape[-1] and meta["times"][0] == start


def test_dataset_a_labels_and_epochs(release):
    root, written = release
    epochs = load_shin2017(1, dataset="A", data_path=root, return_epochs=True)
    assert set(epochs) == {"eeg", "fnirs"}
    assert len(epochs["eeg"]) == len(epochs["fnirs"]) == 3 * N_TRIALS
    assert epochs["eeg"].metadata["session"].tolist()[:1] == [1]
    # row 0 of mrk.y is LMI: y 0 (left hand)
    np.testing.assert_array_equal(epochs["eeg"].events[:N_TRIALS, 2] - 1, written[0]["rows"])
    np.testing.assert_array_equal(epochs["fnirs"].events[:, 2], epochs["eeg"].events[:, 2])


# --------------------------------------------------------------------------------------
# 1. haemoglobin scaled by the published 30 mm, not template distances
# --------------------------------------------------------------------------------------


def test_optodes_30mm_apart_and_hb_independent_of_template(tmp_path):
    write_subject(tmp_path, 2, identical=True)
    _, nirs = read_shin2017_raw(2, data_path=tmp_path)[0]
    np.testing.assert_allclose(source_detector_distances(nirs.info), 0.03, atol=1e-9)
    # every pair recorded the same intensities: the same HbO/HbR whatever the template
    # distance of its optodes (29-39 mm), as the Beer-Lambert law divides by distance
    data = load_shin2017(2, data_path=tmp_path, fnirs_kwargs={"sci_threshold": 0.0})
    hbo = data.X["fnirs"][:, ::2]
    spread = np.abs(hbo - hbo[:, :1]).max() / np.abs(hbo).max()
    assert spread < 1e-9


# --------------------------------------------------------------------------------------
# 2. both montages in mne's head frame
# --------------------------------------------------------------------------------------


def test_sensor_positions_in_head_frame(release):
    root, _ = release
    eeg, nirs = read_shin2017_raw(1, data_path=root)[0]
    ref = _head_positions(["AF7", "Fp1", "C5", "CP5", "AFp1", "Cz"])
    for raw in (eeg, nirs):
        frames = {
            ch["coord_frame"]
            for ch in raw.info["chs"]
            if raw.get_channel_types([ch["ch_name"]])[0] != "eog"
        }
        assert frames == {FIFF.FIFFV_COORD_HEAD}
    np.testing.assert_allclose(eeg.info["chs"][eeg.ch_names.index("AFp1")]["loc"][:3], ref["AFp1"])
    # channel 'AF7Fp1' sits at the midpoint of AF7 and Fp1 of the same head frame, and
    # 'C5CP5' at that of C5 and CP5
    loc = nirs.info["chs"][0]["loc"]
    np.testing.assert_allclose(loc[:3], (ref["AF7"] + ref["Fp1"]) / 2, atol=1e-9)
    c5cp5 = 2 * NIRS_PAIRS.index("C5CP5")
    np.testing.assert_allclose(
        nirs.info["chs"][c5cp5]["loc"][:3], (ref["C5"] + ref["CP5"]) / 2, atol=1e-9
    )
    # the optodes on the line between their template positions, 30 mm apart
    direction = (ref["Fp1"] - ref["AF7"]) / np.linalg.norm(ref["Fp1"] - ref["AF7"])
    np.testing.assert_allclose(loc[6:9] - loc[3:6], 0.03 * direction, atol=1e-9)


def test_round_trip_and_optodes_between_electrodes_of_their_region(release, tmp_path):
    root, _ = release
    data = load_shin2017(1, data_path=root)
    epochs = to_epochs(data.X, data.info)
    eeg_info, fnirs_info = epochs["eeg"].info, epochs["fnirs"].info
    assert set(epochs["eeg"].event_id) == {"mental_arithmetic", "baseline"}
    np.testing.assert_array_equal(epochs["fnirs"].events[:, 2] - 1, data.y)
    for info, meta in ((eeg_info, data.info["eeg"]), (fnirs_info, data.info["fnirs"])):
        assert {ch["coord_frame"] for ch in info["chs"]} == {FIFF.FIFFV_COORD_HEAD}
        np.testing.assert_allclose(
            np.array([ch["loc"] for ch in info["chs"]]),
            np.array([ch["loc"] for ch in meta["mne_info"]["chs"]]),
        )
    # one head: EEG topomap of the alpha burst (Cz) with the optodes drawn on it
    import matplotlib.pyplot as plt

    ax, xy = plot_sensors_on_head(
        eeg_info,
        fnirs_info,
        data.X["eeg"][data.y == 1].std(axis=(0, 2)),
        data.info["fnirs"]["optodes"],
    )
    assert len(ax.collections) >= 3 and xy["channel"].shape == (72, 2)
    plt.close("all")
    ref = _head_positions(["Fz", "Pz", "C3", "C4", "Oz", "Cz"])
    eeg_pos = {c: ch["loc"][:3] for c, ch in zip(eeg_info.ch_names, eeg_info["chs"], strict=True)}
    regions = {
        "frontal": (
            NIRS_FRONTAL,
            {"F7", "AFF5h", "F3", "AFp1", "AFp2", "AFF6h", "F4", "F8", "AFF1h", "AFF2h"},
        ),
        "left": (NIRS_MOTOR_LEFT, {"FCC5h", "FCC3h", "CCP5h", "CCP3h"}),
        "right": (NIRS_MOTOR_RIGHT, {"FCC4h", "FCC6h", "CCP4h", "CCP6h"}),
        "occipital": (NIRS_OCCIPITAL, {"PPO1h", "POO1", "POO2", "PPO2h"}),
    }
    closer = {
        "frontal": ("Fz", "Pz"),
        "left": ("C3", "C4"),
        "right": ("C4", "C3"),
        "occipital": ("Oz", "Cz"),
    }
    eeg_xy = dict(zip(eeg_info.ch_names, xy["eeg"], strict=True))
    optodes = data.info["fnirs"]["optodes"]
    for region, (pairs, electrodes) in regions.items():
        near, far = closer[region]
        for k, (ch, pair) in enumerate(zip(fnirs_info["chs"], optodes, strict=True)):
            if pair not in pairs:
                continue
            mid = ch["loc"][:3]
            for point in (mid, ch["loc"][3:6], ch["loc"][6:9]):
                assert np.linalg.norm(point - ref[near]) < np.linalg.norm(point - ref[far]), pair
            nearest = min(eeg_pos, key=lambda c: np.linalg.norm(eeg_pos[c] - mid))
            assert nearest in electrodes, (pair, nearest)
            nearest_2d = min(eeg_xy, key=lambda c: np.linalg.norm(eeg_xy[c] - xy["channel"][k]))
            assert nearest_2d in electrodes, (pair, nearest_2d)


# --------------------------------------------------------------------------------------
# 3. fNIRS baseline: the rest before the instruction
# --------------------------------------------------------------------------------------


def test_fnirs_baseline_is_rest_before_instruction(release):
    root, _ = release
    wide = load_shin2017(1, data_path=root, fnirs_window=(-5.0, 15.0), return_epochs=True)
    data = wide["fnirs"].get_data(picks=np.arange(72))  # bad channels included
    times = wide["fnirs"].times
    rest = (times >= -5.0) & (times <= -2.0)
    np.testing.assert_allclose(data[:, :, rest].mean(axis=-1), 0.0, atol=1e-12)
    instruction = (times > -2.0) & (times <= 0.0)
    assert np.abs(data[:, :, instruction].mean(axis=-1)).max() > 1e-9
    # the default window starts at -2 s but keeps the baseline taken before it
    default = load_shin2017(1, data_path=root)
    np.testing.assert_allclose(default.X["fnirs"], data[:, :, times >= -2.0 - 1e-9])
    none = load_shin2017(1, data_path=root, fnirs_baseline=None, fnirs_window=(-5.0, 15.0))
    assert np.abs(none.X["fnirs"][:, :, rest].mean(axis=-1)).max() > 1e-9


# --------------------------------------------------------------------------------------
# 4-6. downloads: per-archive names, checks, partial files, mirrors, MOABB's folder
# --------------------------------------------------------------------------------------


def _zip_release(source, modality, target, prefix=""):
    with zipfile.ZipFile(target, "w") as zf:
        folder = source / modality
        for file in folder.rglob("*.mat"):
            zf.write(file, prefix + str(file.relative_to(folder)))
    return target


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    """Archives of subject 7 as released: EEG_06-10.zip and NIRS_01-29.zip."""
    tmp = tmp_path_factory.mktemp("archives")
    source = tmp / "src"
    write_subject(source, 7)
    return {
        "EEG": _zip_release(source, "EEG", tmp / "EEG_06-10.zip"),
        "NIRS": _zip_release(source, "NIRS", tmp / "NIRS_01-29.zip"),
        "NIRS_nested": _zip_release(source, "NIRS", tmp / "nested.zip", prefix="NIRS_01-29/NIRS/"),
    }


def _fake_retrieve(archives, calls, *, nirs="NIRS", payload=None):
    def retrieve(url, known_hash, fname, path, progressbar=False, **kwargs):
        calls.append(
            {"url": url, "fname": fname, "known_hash": known_hash, "progressbar": progressbar}
        )
        target = path / fname
        data = archives["EEG" if "/EEG/" in url else nirs].read_bytes()
        target.write_bytes(data if payload is None else payload(data))
        return str(target)

    return retrieve


def test_download_names_each_archive_and_removes_it(tmp_path, monkeypatch, archives):
    calls = []
    monkeypatch.setattr(pooch, "retrieve", _fake_retrieve(archives, calls))
    root = tmp_path / "cache"
    with pytest.warns(UserWarning, match="No sha256 is recorded for") as record:
        assert fetch_shin2017(7, data_path=root, accept=True) == root
    for name, archive in (("EEG_06-10.zip", "EEG"), ("NIRS_01-29.zip", "NIRS")):
        # the warning gives the hash to record in the registry
        message = next(str(w.message) for w in record if name in str(w.message))
        assert file_sha256(archives[archive]) in message
    assert [c["url"] for c in calls] == [
        f"{_shin2017.URL}/EEG/EEG_06-10.zip",
        f"{_shin2017.URL}/NIRS/NIRS_01-29.zip",
    ]
    assert [c["fname"] for c in calls] == ["EEG_06-10.zip", "NIRS_01-29.zip"]
    assert all(c["progressbar"] for c in calls)
    assert (root / "NIRS" / "subject 07" / "mrk.mat").is_file()
    assert not list(root.glob("*.zip")) and not list(root.glob(".unpack-*"))
    fetch_shin2017(7, data_path=root, accept=True)  # files there: no new download
    assert len(calls) == 2


def test_recorded_hash_is_checked(tmp_path, monkeypatch, archives):
    calls = []
    monkeypatch.setattr(pooch, "retrieve", _fake_retrieve(archives, calls))
    digest = file_sha256(archives["EEG"])
    monkeypatch.setitem(_shin2017.REGISTRY, "EEG_06-10.zip", {"sha256": digest, "size": None})
    monkeypatch.setitem(_shin2017.REGISTRY, "NIRS_01-29.zip", {"sha256": "0" * 64, "size": None})
    root = tmp_path / "cache"
    with pytest.raises(ValueError, match="sha256"):
        fetch_shin2017(7, data_path=root, accept=True)
    assert calls[0]["known_hash"] == f"sha256:{digest}"
    assert (root / "EEG" / "subject 07").is_dir()  # the EEG archive passed its hash
    assert not (root / "NIRS_01-29.zip").exists()  # the bad one was removed


@pytest.fixture
def http_host(archives, tmp_path):
    """A local HTTP server laid out like the host: EEG/EEG_06-10.zip, NIRS/NIRS_01-29.zip."""
    site = tmp_path / "site"
    for modality in ("EEG", "NIRS"):
        (site / modality).mkdir(parents=True)
        (site / modality / archives[modality].name).write_bytes(archives[modality].read_bytes())
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hBCI"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path):  # serve /hBCI/... from the site folder
        return super().translate_path(path.removeprefix("/hBCI"))

    def log_message(self, *args):
        pass


def test_real_pooch_download_checks_hashes(tmp_path, monkeypatch, archives, http_host):
    monkeypatch.setattr(pooch, "retrieve", REAL_RETRIEVE)
    digest = file_sha256(archives["EEG"])
    monkeypatch.setitem(_shin2017.REGISTRY, "EEG_06-10.zip", {"sha256": digest, "size": None})
    root = tmp_path / "cache"
    with pytest.warns(UserWarning, match="No sha256") as record:  # NIRS only
        fetch_shin2017(7, data_path=root, accept=True, url=http_host, progressbar=False)
    assert [w for w in record if "EEG_06-10" in str(w.message)] == []
    assert len(read_shin2017_raw(7, data_path=root)) == 3
    assert sorted(p.name for p in root.iterdir()) == ["EEG", "NIRS"]
    # a recorded hash the host's file does not have: refused, nothing left behind
    monkeypatch.setitem(_shin2017.REGISTRY, "EEG_06-10.zip", {"sha256": "0" * 64, "size": None})
    other = tmp_path / "other"
    with pytest.raises(ValueError, match="recorded sha256"):
        fetch_shin2017(7, data_path=other, accept=True, url=http_host, progressbar=False)
    assert list(other.iterdir()) == []


def test_truncated_download_is_removed_with_a_clear_message(tmp_path, monkeypatch, archives):
    calls = []
    half = _fake_retrieve(archives, calls, payload=lambda data: data[: len(data) // 2])
    monkeypatch.setattr(pooch, "retrieve", half)
    root = tmp_path / "cache"
    with pytest.raises(ValueError, match="not a complete zip archive"):
        fetch_shin2017(7, data_path=root, accept=True)
    assert not list(root.glob("*.zip")) and not (root / "EEG").exists()


def test_failed_download_leaves_no_partial_file(tmp_path, monkeypatch):
    def cut(url, known_hash, fname, path, **kwargs):
        (path / fname).write_bytes(b"PK\x03\x04 partial")
        raise ConnectionError("connection reset")

    monkeypatch.setattr(pooch, "retrieve", cut)
    root = tmp_path / "cache"
    with pytest.raises(OSError, match="mirror") as err:
        fetch_shin2017(7, data_path=root, accept=True)
    assert "EEG_06-10.zip" in str(err.value)
    assert not (root / "EEG_06-10.zip").exists()


def test_stale_archive_is_fetched_again(tmp_path, monkeypatch, archives):
    root = tmp_path / "cache"
    root.mkdir()
    (root / "EEG_06-10.zip").write_bytes(b"an old, cut download")
    calls = []
    monkeypatch.setattr(pooch, "retrieve", _fake_retrieve(archives, calls))
    with pytest.warns(UserWarning, match="No sha256"):
        fetch_shin2017(7, data_path=root, accept=True)
    assert calls[0]["fname"] == "EEG_06-10.zip"
    assert (root / "EEG" / "subject 07" / "with occular artifact" / "cnt.mat").is_file()


def test_nested_nirs_archive_is_unpacked(tmp_path, monkeypatch, archives):
    calls = []
    retrieve = _fake_retrieve(archives, calls, nirs="NIRS_nested")
    monkeypatch.setattr(pooch, "retrieve", retrieve)
    root = tmp_path / "cache"
    with pytest.warns(UserWarning, match="No sha256"):
        fetch_shin2017(7, data_path=root, accept=True)
    assert (root / "NIRS" / "subject 07" / "cnt.mat").is_file()
    assert len(read_shin2017_raw(7, data_path=root)) == 3


def test_mirror_folder_and_url_override(tmp_path, monkeypatch, archives):
    mirror = tmp_path / "mirror"
    (mirror / "EEG").mkdir(parents=True)
    (mirror / "EEG" / "EEG_06-10.zip").write_bytes(archives["EEG"].read_bytes())
    (mirror / "NIRS_01-29.zip").write_bytes(archives["NIRS"].read_bytes())
    monkeypatch.setenv(_shin2017.ARCHIVES_ENV, str(mirror))
    root = tmp_path / "cache"
    fetch_shin2017(7, data_path=root, accept=True)  # pooch.retrieve refuses: not called
    assert (root / "NIRS" / "subject 07" / "cnt.mat").is_file()
    assert (mirror / "EEG" / "EEG_06-10.zip").is_file()  # a mirror's files are kept
    # a base URL from the environment, or passed
    calls = []
    monkeypatch.delenv(_shin2017.ARCHIVES_ENV)
    monkeypatch.setenv(_shin2017.URL_ENV, "https://mirror.example.org/hBCI/")
    monkeypatch.setattr(pooch, "retrieve", _fake_retrieve(archives, calls))
    with pytest.warns(UserWarning, match="No sha256"):
        fetch_shin2017(7, data_path=tmp_path / "other", accept=True)
    assert calls[0]["url"] == "https://mirror.example.org/hBCI/EEG/EEG_06-10.zip"
    with pytest.warns(UserWarning, match="No sha256"):
        fetch_shin2017(7, data_path=tmp_path / "third", accept=True, url="https://x.org/h")
    assert calls[-1]["url"] == "https://x.org/h/NIRS/NIRS_01-29.zip"


def test_moabb_eeg_folder_is_reused(tmp_path, monkeypatch, archives):
    moabb = tmp_path / "mne_data"
    write_subject(moabb / "MNE-eegfnirs-data", 7)
    monkeypatch.setenv(_shin2017.MOABB_PATH_KEY, str(moabb))
    root = tmp_path / "cache"
    calls = []
    monkeypatch.setattr(pooch, "retrieve", _fake_retrieve(archives, calls))
    with pytest.warns(UserWarning, match="No sha256"):
        fetch_shin2017(7, data_path=root, accept=True)
    assert [c["fname"] for c in calls] == ["NIRS_01-29.zip"]  # EEG found in MOABB's folder
    assert not (root / "EEG").exists()
    assert len(read_shin2017_raw(7, data_path=root)) == 3


def test_licence_required_without_files(tmp_path):
    with pytest.raises(ValueError, match="accept=True") as err:
        fetch_shin2017(2, data_path=tmp_path)
    assert "TNSRE" in str(err.value) and LICENCE[:40] in str(err.value)


# --------------------------------------------------------------------------------------
# 7. labels from className, checked against event.desc
# --------------------------------------------------------------------------------------


def test_labels_follow_class_names_not_row_order(tmp_path):
    sessions = make_subject(0)
    for s in MA_SESSIONS:  # className {'BL', 'MA'}: row 0 is now the baseline
        for mod, codes in (("eeg", (16, 32)), ("nirs", (1, 2))):
            mrk = sessions[s][f"{mod}_mrk"]
            mrk["className"] = np.array(["BL", "MA"], dtype=object)
            mrk["y"] = mrk["y"][::-1].copy()
            mrk["event"] = {"desc": np.array(codes)[np.argmax(mrk["y"], axis=0)]}
    write_subject(tmp_path, 3, sessions)
    data = load_shin2017(3, data_path=tmp_path)
    rows = np.concatenate([sessions[s]["rows"] for s in MA_SESSIONS])  # 0 = MA signal
    np.testing.assert_array_equal(data.y, np.where(rows == 0, 1, 0))


def test_sessions_out_of_order_are_refused(tmp_path):
    sessions = make_subject(0)
    sessions[1]["eeg_mrk"]["className"] = np.array(["LMI", "RMI"], dtype=object)
    write_subject(tmp_path, 3, sessions)
    with pytest.raises(ValueError, match="out of order"):
        load_shin2017(3, data_path=tmp_path)


def test_event_codes_must_agree_with_y(tmp_path):
    sessions = make_subject(0)
    desc = sessions[1]["nirs_mrk"]["event"]["desc"]
    sessions[1]["nirs_mrk"]["event"]["desc"] = 3 - desc  # 1 <-> 2
    write_subject(tmp_path, 3, sessions)
    with pytest.raises(ValueError, match=r"event\.desc"):
        read_shin2017_raw(3, data_path=tmp_path)


# --------------------------------------------------------------------------------------
# 8. pairing by marker spacing and by selection
# --------------------------------------------------------------------------------------


def test_pair_markers_by_spacing():
    t_eeg = np.array([10.0, 38.2, 66.1, 94.9, 122.3])
    t_nirs = np.delete(t_eeg + 52.3, 1) + np.array([0.04, -0.05, 0.0, 0.03])
    i_eeg, i_nirs, offset = _pair_markers(t_eeg, t_nirs, 0.1)
    np.testing.assert_array_equal(i_eeg, [0, 2, 3, 4])
    np.testing.assert_array_equal(i_nirs, [0, 1, 2, 3])
    assert abs(offset - 52.3) < 0.05
    moved = t_nirs.copy()
    moved[2] += 0.5  # one NIRS marker off by half a second: left unpaired
    i_eeg, i_nirs, _ = _pair_markers(t_eeg, moved, 0.1)
    np.testing.assert_array_equal(i_eeg, [0, 2, 4])
    np.testing.assert_array_equal(i_nirs, [0, 1, 3])


def _check_pairs(data, rows_by_session):
    """Same trial on both clocks, and y of the class written for that EEG marker."""
    lag = data.metadata["nirs_onset"] - data.metadata["eeg_onset"]
    np.testing.assert_allclose(lag, NIRS_DELAY, atol=0.06)
    for session, rows in rows_by_session.items():
        meta = data.metadata[data.metadata["session"] == session + 1]
        y = data.y[meta.index]
        np.testing.assert_array_equal(y, np.where(rows[meta["trial"]] == 0, 1, 0))


def test_trials_missing_on_either_side_do_not_shift_the_pairing(tmp_path):
    rows = np.array([0, 1, 1, 0, 0, 1])
    sessions = make_subject(0, rows=rows)
    # EEG lost trial 2, NIRS trial 1: both label sequences still read 0 1 0 0 1
    drop_marker(sessions[1]["eeg_mrk"], 2)
    drop_marker(sessions[1]["nirs_mrk"], 1)
    write_subject(tmp_path, 4, sessions)
    with pytest.warns(RuntimeWarning, match=r"EEG markers \[1\] and NIRS markers \[1\]"):
        data = load_shin2017(4, data_path=tmp_path)
    assert (data.metadata["session"] == 2).sum() == 4
    # trial: index of the EEG marker in its file (the EEG file lost original trial 2)
    assert sorted(data.metadata.query("session == 2")["trial"]) == [0, 2, 3, 4]
    _check_pairs(data, {1: np.delete(rows, 2), 3: rows, 5: rows})
    # the injected effects of each kept trial are in both modalities of that trial
    ma = data.y == 1
    assert data.X["eeg"][ma].var() > 2 * data.X["eeg"][~ma].var()


def test_marker_moved_on_one_side_is_left_out(tmp_path):
    sessions = make_subject(0, rows=[0, 1, 1, 0])
    sessions[1]["nirs_mrk"]["time"][2] += 700.0  # ms
    write_subject(tmp_path, 4, sessions)
    with pytest.warns(RuntimeWarning, match=r"EEG markers \[2\] and NIRS markers \[2\]"):
        data = load_shin2017(4, data_path=tmp_path)
    assert sorted(data.metadata.query("session == 2")["trial"]) == [0, 1, 3]


def test_epoch_dropped_in_one_modality_is_dropped_in_both(tmp_path):
    sessions = make_subject(0)
    cnt, onsets = sessions[1]["nirs_cnt"], sessions[1]["onsets"]
    # NIRS recording stops 10 s after the last task onset: its [-5, 15] s epoch is cut
    cnt["x"] = cnt["x"][: int((onsets[-1] + NIRS_DELAY + 10.0) * NIRS_FS)]
    write_subject(tmp_path, 5, sessions)
    data = load_shin2017(5, data_path=tmp_path)
    assert sorted(data.metadata.query("session == 2")["trial"]) == [0, 1, 2]
    assert len(data.y) == data.X["eeg"].shape[0] == data.X["fnirs"].shape[0] == 11
    _check_pairs(data, {s: sessions[s]["rows"] for s in MA_SESSIONS})


@pytest.mark.filterwarnings("ignore:Omitted 2 annotation")  # mne says so; expected here
def test_session_without_usable_markers_has_clear_error(tmp_path):
    _, nirs_dir, _ = write_subject(tmp_path, 4)
    late = {
        "time": np.array([1e9, 2e9]),
        "y": np.eye(2),
        "className": np.array(["MA", "BL"], dtype=object),
    }
    savemat(nirs_dir / "mrk.mat", {"mrk": _cells([late] * 6)})
    with pytest.raises(ValueError, match=r"Subject 4, session 2: .*cannot be paired"):
        load_shin2017(4, data_path=tmp_path)


# --------------------------------------------------------------------------------------
# 9. wavelengths sorted, channel names checked, one presence check
# --------------------------------------------------------------------------------------


def test_wavelengths_sorted_whatever_the_file_order(tmp_path):
    sessions = make_subject(0)
    for s in sessions:
        s["nirs_cnt"]["wavelengths"] = np.array([850.0, 760.0])
    write_subject(tmp_path, 6, sessions)
    _, nirs = read_shin2017_raw(6, data_path=tmp_path)[0]
    assert nirs.ch_names[:2] == ["S1_D1 760", "S1_D1 850"]
    np.testing.assert_allclose(nirs.get_data()[0], sessions[1]["nirs_cnt"]["x"][:, 0])
    assert [ch["loc"][9] for ch in nirs.info["chs"][:2]] == [760.0, 850.0]


def test_unknown_eeg_channel_name_is_refused(tmp_path):
    sessions = make_subject(0)
    for s in sessions:
        clab = s["eeg_cnt"]["clab"].copy()
        clab[1] = "FAF5"  # an old BBCI name instead of AFF5h
        s["eeg_cnt"]["clab"] = clab
    write_subject(tmp_path, 6, sessions)
    with pytest.raises(ValueError, match=r"\['FAF5'\] are not names of the 10-5 system"):
        read_shin2017_raw(6, data_path=tmp_path)


def test_unknown_nirs_channel_name_is_refused(tmp_path):
    sessions = make_subject(0)
    for s in sessions:
        s["nirs_cnt"]["clab"] = np.array(
            [c.replace("AF7Fp1", "XX7Fp1") for c in NIRS_CLAB], dtype=object
        )
    write_subject(tmp_path, 6, sessions)
    with pytest.raises(ValueError, match="XX7Fp1"):
        read_shin2017_raw(6, data_path=tmp_path)


def test_missing_marker_file_triggers_the_download(tmp_path, monkeypatch, archives):
    root = tmp_path / "cache"
    write_subject(root, 7)
    (root / "NIRS" / "subject 07" / "mrk.mat").unlink()
    with pytest.raises(ValueError, match=r"subject\(s\) \[7\]"):
        fetch_shin2017(7, data_path=root)  # not silently "complete"
    calls = []
    monkeypatch.setattr(pooch, "retrieve", _fake_retrieve(archives, calls))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fetch_shin2017(7, data_path=root, accept=True)
    assert [c["fname"] for c in calls] == ["NIRS_01-29.zip"]
    assert (root / "NIRS" / "subject 07" / "mrk.mat").is_file()


# --------------------------------------------------------------------------------------
# arguments and broken files
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"subjects": 30}, "between 1 and 29"),
        ({"dataset": "C"}, "dataset must be 'A'"),
        ({"eeg_window": (5.0, 1.0)}, "tmin < tmax"),
        ({"fnirs_baseline": (-2.0, -5.0)}, "fnirs_baseline"),
        ({"fnirs_kwargs": {"h_freq": 6.0}}, "Nyquist"),
    ],
)
def test_bad_arguments(release, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_shin2017(**{"subjects": 1, "data_path": release[0], **kwargs})


def test_corrupt_file_has_clear_error(tmp_path):
    eeg_dir, _, _ = write_subject(tmp_path, 3)
    savemat(eeg_dir / "mrk.mat", {"markers": np.zeros(3)})
    with pytest.raises(ValueError, match="no variable 'mrk'"):
        read_shin2017_raw(3, data_path=tmp_path)
