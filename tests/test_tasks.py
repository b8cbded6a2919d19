"""Tests of the family of ground-truth tasks and of their placement evidence."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from skorch.helper import SliceDict

from skpid.datasets import (
    FORWARD_EEG_CHANNELS,
    FORWARD_OPTODE_PAIRS,
    make_bitwise,
    make_eeg_fnirs,
    make_eeg_fnirs_forward,
    make_multiplicative,
    make_paired_xor,
)
from skpid.datasets._forward import _head_model
from skpid.io import from_epochs, to_epochs
from skpid.model_selection._task_placement import modality_features, task_placement


def _check_bunch(data, modalities):
    """The conventions every task shares."""
    assert isinstance(data.X, SliceDict) and list(data.X) == list(modalities)
    n = len(data.factors)
    for m in modalities:
        assert data.X[m].shape[0] == n
        assert data.info[m]["kind"] in ("eeg", "fnirs", "tabular")
        assert {"sfreq", "tmin"} <= set(data.info[m])
    for col in ("R", *(f"U_{m}" for m in modalities), "S"):
        if col in data.factors:
            assert data.factors[col].dtype.kind == "i", col
    assert "subject" in data.factors
    np.testing.assert_array_equal(data.groups, data.factors["subject"])
    assert data.y.shape == (n,)
    assert isinstance(data.description, str) and "S" in data.description
    assert isinstance(data.info["task"], str)


def _holdout(x, y, groups):
    """Balanced accuracy of a linear probe trained on the first half of the groups."""
    train = groups < np.median(np.unique(groups))
    model = LogisticRegression(max_iter=2000).fit(x[train], y[train])
    return model.score(x[~train], y[~train])


# ------------------------------------------------------------- make_eeg_fnirs_forward


@pytest.fixture(scope="module")
def forward():
    return make_eeg_fnirs_forward(n_subjects=2, n_trials=8, random_state=0)


def test_forward_shapes_units_and_channels(forward):
    _check_bunch(forward, ("eeg", "fnirs"))
    n_pairs = len(FORWARD_OPTODE_PAIRS) - 2
    assert forward.X["eeg"].shape == (16, len(FORWARD_EEG_CHANNELS), 1250)
    assert forward.X["fnirs"].shape == (16, 2 * n_pairs, 156)
    assert forward.X["eeg"].dtype == forward.X["fnirs"].dtype == np.float32
    # volts (tens of microvolts) and mol/L (below a few micromolar)
    assert 2e-6 < forward.X["eeg"].std() < 1e-4
    assert 3e-8 < forward.X["fnirs"].std() < 5e-6
    # average reference
    np.testing.assert_allclose(forward.X["eeg"].mean(axis=1), 0, atol=1e-9)
    eeg, fnirs = forward.info["eeg"], forward.info["fnirs"]
    assert eeg["sfreq"] == 250.0 and eeg["tmin"] == -1.0 and fnirs["tmin"] == -2.0
    assert fnirs["ch_types"] == ["hbo"] * n_pairs + ["hbr"] * n_pairs
    hbo, hbr = fnirs["ch_names"][:n_pairs], fnirs["ch_names"][n_pairs:]
    assert [c.replace(" hbo", "") for c in hbo] == [c.replace(" hbr", "") for c in hbr]
    assert hbo[0] == "S1_D1 hbo"
    assert len(forward.info["rejected"]) == 2
    assert forward.info["synergy_parts"] == {"eeg": "theta_ers", "fnirs": "pfc_rise"}


def test_forward_factors(forward):
    f = forward.factors
    for col in ("R", "U_eeg", "U_fnirs", "S", "theta_ers", "pfc_rise"):
        assert set(f.groupby("subject")[col].value_counts()) == {4}, col  # balanced
    np.testing.assert_array_equal(f["S"], (f["theta_ers"] == f["pfc_rise"]).astype(int))
    np.testing.assert_array_equal(forward.y, f["S"])
    assert (f.loc[f.theta_ers == 0, "theta_amplitude"] == 0).all()
    assert (f.loc[f.theta_ers == 1, "theta_amplitude"] > 0).all()
    assert (np.sign(f["pfc_amplitude"]) == 2 * f["pfc_rise"] - 1).all()
    assert f.loc[f.U_fnirs == 1, "hrf_stretch"].min() > f.loc[f.U_fnirs == 0, "hrf_stretch"].max()


def test_forward_determinism_rate_and_cache():
    hits = _head_model.cache_info().hits
    a = make_eeg_fnirs_forward(n_subjects=1, n_trials=4, random_state=3)
    b = make_eeg_fnirs_forward(n_subjects=1, n_trials=4, random_state=3)
    c = make_eeg_fnirs_forward(n_subjects=1, n_trials=4, random_state=4)
    assert _head_model.cache_info().hits >= hits + 2  # the forward model is computed once
    for m in ("eeg", "fnirs"):
        np.testing.assert_array_equal(a.X[m], b.X[m])
        assert not np.allclose(a.X[m], c.X[m])
    assert a.factors.equals(b.factors)
    fast = make_eeg_fnirs_forward(
        n_subjects=1, n_trials=4, eeg_sfreq=500.0, n_rejected=0, dtype=np.float64, random_state=0
    )
    assert fast.X["eeg"].shape == (4, len(FORWARD_EEG_CHANNELS), 2500)
    assert fast.X["fnirs"].shape[1] == 2 * len(FORWARD_OPTODE_PAIRS)
    assert fast.X["eeg"].dtype == np.float64 and fast.info["rejected"] == []


def test_forward_gain_is_focal_over_the_source():
    """A radial dipole under C3 projects most strongly to C3 and its left neighbours."""
    gain = make_eeg_fnirs_forward(n_subjects=1, n_trials=4, random_state=0).info["forward"]
    ch = list(FORWARD_EEG_CHANNELS)
    for side, (own, other) in {"left": ("C3", "C4"), "right": ("C4", "C3")}.items():
        g = gain["gain"][:, gain["sources"].index(f"m1_{side}_0")]
        assert ch[int(np.argmax(g))] == own
        assert g[ch.index(own)] > 5 * abs(g[ch.index(other)])
        near = ("FC3", "CP3", "C5") if side == "left" else ("FC4", "CP4", "C6")
        far = ("FC4", "CP4", "C6") if side == "left" else ("FC3", "CP3", "C5")
        assert sum(abs(g[ch.index(c)]) for c in near) > 3 * sum(abs(g[ch.index(c)]) for c in far)


def test_forward_lateralised_erd_and_haemodynamics():
    data = make_eeg_fnirs_forward(
        n_subjects=1, n_trials=40, subject_variability=0.0, nuisance_strength=0.0, random_state=1
    )
    f, ch = data.factors, list(FORWARD_EEG_CHANNELS)
    eeg = data.X["eeg"].astype(float)
    t = -1.0 + np.arange(eeg.shape[-1]) / 250.0
    spec = np.abs(np.fft.rfft(eeg[..., (t >= 0.5) & (t < 3.5)], axis=-1)) ** 2
    base = np.abs(np.fft.rfft(eeg[..., (t >= -1.0) & (t < 0.0)], axis=-1)) ** 2
    f_task = np.fft.rfftfreq(750, 1 / 250.0)
    f_base = np.fft.rfftfreq(250, 1 / 250.0)
    band = lambda s, fr: s[..., (fr >= 8) & (fr < 30)].mean(-1)  # noqa: E731
    erd = np.log(band(spec, f_task)) - np.log(band(base, f_base))  # (trials, channels)
    lateral = erd[:, ch.index("C3")] - erd[:, ch.index("C4")]  # < 0: more ERD on the left
    assert lateral[f.R == 0].mean() < lateral[f.R == 1].mean() - 0.3

    fnirs = data.X["fnirs"].astype(float)
    names = data.info["fnirs"]["ch_names"]
    kept = [p for p in FORWARD_OPTODE_PAIRS if f"{p[0]}-{p[1]}" not in data.info["rejected"]]
    side = np.array([p[2] for p in kept])
    hbo = fnirs[:, : len(kept)]
    assert all(n.endswith("hbo") for n in names[: len(kept)])
    tf = -2.0 + np.arange(fnirs.shape[-1]) / data.info["fnirs"]["sfreq"]
    late = hbo[..., (tf >= 4) & (tf < 10)].mean(-1)
    diff = late[:, side == "left"].mean(1) - late[:, side == "right"].mean(1)
    assert diff[f.R == 0].mean() > diff[f.R == 1].mean() + 0.1e-6
    pfc = late[:, side == "pfc"].mean(1)
    assert pfc[f.pfc_rise == 1].mean() > pfc[f.pfc_rise == 0].mean() + 0.2e-6


def test_forward_latency_factor_without_noise():
    data = make_eeg_fnirs_forward(
        n_subjects=1, n_trials=8, noise_level=0.0, nuisance_strength=0.0, random_state=0
    )
    n_pairs = data.X["fnirs"].shape[1] // 2
    hbo = data.X["fnirs"][:, :n_pairs].astype(float)
    strongest = np.abs(hbo).max(-1).argmax(-1)
    peak = np.array([np.argmax(np.abs(hbo[i, c])) for i, c in enumerate(strongest)])
    slow = data.factors["U_fnirs"].to_numpy() == 1
    assert peak[slow].min() > peak[~slow].max()
    # nothing before the cue without noise (the response starts at the cue)
    assert np.abs(hbo[..., : int(2.0 * data.info["fnirs"]["sfreq"])]).max() == 0


def test_forward_to_epochs_round_trip(forward):
    epochs = to_epochs(forward.X, forward.info)
    assert epochs["eeg"].get_montage() is not None
    assert epochs["eeg"].tmin == pytest.approx(-1.0)
    X, back = from_epochs(eeg=epochs["eeg"], fnirs=epochs["fnirs"])
    for m in ("eeg", "fnirs"):
        np.testing.assert_allclose(X[m], forward.X[m], rtol=1e-6)
        assert back[m]["ch_names"] == forward.info[m]["ch_names"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_subjects": 0}, "n_subjects must be a positive int"),
        ({"n_rejected": 9}, "reject at most 4"),
        ({"n_rejected": -1}, "n_rejected must be an int >= 0"),
        ({"eeg_sfreq": 100.0}, "outside 128-2000 Hz"),
        ({"fnirs_sfreq": 1.0}, "outside 2-50 Hz"),
        ({"eeg_duration": 3.0}, "does not cover"),
        ({"fnirs_duration": 10.0}, "cannot hold"),
        ({"synergy_strength": -1.0}, "synergy_strength must be a finite number >= 0"),
        ({"target": "nope"}, "target='nope' is not a factor"),
    ],
)
def test_forward_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_eeg_fnirs_forward(**{"n_subjects": 1, "n_trials": 2, **kwargs})


# ------------------------------------------------------------- make_eeg_fnirs synergy


def test_eeg_fnirs_synergy_choice_renames_only():
    delay = make_eeg_fnirs(n_subjects=1, n_trials=8, efficiency_strength=1.0, random_state=0)
    eff = make_eeg_fnirs(n_subjects=1, n_trials=8, synergy="efficiency", random_state=0)
    _check_bunch(delay, ("eeg", "fnirs"))
    _check_bunch(eff, ("eeg", "fnirs"))
    for m in ("eeg", "fnirs"):
        np.testing.assert_array_equal(delay.X[m], eff.X[m])
    np.testing.assert_array_equal(eff.factors["S"], delay.factors["S_eff"])
    np.testing.assert_array_equal(eff.factors["S_delay"], delay.factors["S"])
    assert "S_eff" not in eff.factors
    assert eff.info["task"] == "eeg_fnirs_efficiency" and delay.info["task"] == "eeg_fnirs_delay"
    level = (eff.factors["gamma_intensity"] > 1.0).astype(int)
    np.testing.assert_array_equal(eff.factors["S"], level == eff.factors["U_fnirs"])
    with pytest.raises(ValueError, match="synergy='nope' is unknown"):
        make_eeg_fnirs(n_subjects=1, n_trials=2, synergy="nope")
    with pytest.raises(ValueError, match="needs the efficiency factor"):
        make_eeg_fnirs(n_subjects=1, n_trials=2, synergy="efficiency", efficiency_strength=0.0)


# ------------------------------------------------------------------------- tabular


@pytest.mark.parametrize("maker", [make_paired_xor, make_multiplicative])
def test_tabular_conventions_and_determinism(maker):
    data = maker(120, n_features=12, n_groups=4, random_state=0)
    _check_bunch(data, ("x1", "x2"))
    assert data.X["x1"].shape == data.X["x2"].shape == (120, 12)
    np.testing.assert_array_equal(np.bincount(data.groups), [30, 30, 30, 30])
    assert np.all(np.diff(data.groups) >= 0)  # contiguous blocks
    same = maker(120, n_features=12, n_groups=4, random_state=0)
    other = maker(120, n_features=12, n_groups=4, random_state=1)
    np.testing.assert_array_equal(data.X["x1"], same.X["x1"])
    assert data.factors.equals(same.factors)
    assert not np.allclose(data.X["x1"], other.X["x1"])
    # the model is drawn first: more samples, same networks and label directions
    longer = maker(240, n_features=12, n_groups=4, random_state=0)
    for a, b in zip(data.weights["mlp_x1"], longer.weights["mlp_x1"], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(data.weights["w_R"], longer.weights["w_R"])


def test_paired_xor_labels_and_model():
    data = make_paired_xor(
        400, n_features=10, n_groups=2, group_shift=0.0, noise=0.0, random_state=2
    )
    f = data.factors
    np.testing.assert_array_equal(f["S"], f["b1"] ^ f["b2"])
    np.testing.assert_array_equal(f["R"], (data.latents["r"] @ data.weights["w_R"] > 0))
    np.testing.assert_array_equal(f["U_x2"], (data.latents["u2"] @ data.weights["w_U_x2"] > 0))
    # x1 is exactly the stated network of (r, u1, s1, n1) without noise and offsets
    w1, c1, w2, c2 = data.weights["mlp_x1"]
    h = np.column_stack([data.latents["r"], data.latents["u1"], f["s1"], data.latents["n1"]])
    np.testing.assert_allclose(data.X["x1"], np.tanh(h @ w1 + c1) @ w2 + c2, atol=1e-12)
    assert data.info["synergy_parts"] == {"x1": "b1", "x2": "b2"}


def test_multiplicative_labels_and_threshold():
    data = make_multiplicative(4000, n_features=8, random_state=0)
    f = data.factors
    np.testing.assert_array_equal(f["S"], (f["z1"] * f["z2"] > 0).astype(int))
    assert abs(f["S"].mean() - 0.5) < 4 * np.sqrt(0.25 / 4000)
    # S is independent of each latent alone: its rate does not move with z1
    high = f["z1"] > 1
    assert abs(f.loc[high, "S"].mean() - 0.5) < 0.06
    rare = make_multiplicative(4000, n_features=8, threshold=0.5, random_state=0)
    assert rare.factors["S"].mean() < 0.4


def test_tabular_factor_placement_with_linear_probes():
    data = make_paired_xor(1200, n_features=24, n_groups=6, random_state=0)
    f, g = data.factors, data.groups
    x1, x2 = data.X["x1"], data.X["x2"]
    both = np.hstack([x1, x2])
    assert _holdout(x1, f["R"], g) > 0.8 and _holdout(x2, f["R"], g) > 0.8
    assert _holdout(x1, f["U_x1"], g) > 0.8 and _holdout(x2, f["U_x1"], g) < 0.6
    assert _holdout(x2, f["U_x2"], g) > 0.8 and _holdout(x1, f["U_x2"], g) < 0.6
    assert max(_holdout(x, f["S"], g) for x in (x1, x2, both)) < 0.6


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_samples": 0}, ValueError, "n_samples=0"),
        ({"n_groups": 500}, ValueError, "n_groups=500 exceeds"),
        ({"n_features": 2.0}, TypeError, "n_features must be an int"),
        ({"noise": -1.0}, ValueError, "noise=-1.0"),
        ({"group_shift": float("nan")}, ValueError, "not finite"),
        ({"nuisance_dim": -1}, ValueError, "nuisance_dim=-1"),
    ],
)
@pytest.mark.parametrize("maker", [make_paired_xor, make_multiplicative])
def test_tabular_errors(maker, kwargs, error, match):
    with pytest.raises(error, match=match):
        maker(**{"n_samples": 100, **kwargs})


# ----------------------------------------------------------------------- bitwise


@pytest.mark.parametrize(
    ("kind", "columns"),
    [
        ("xor", ["U_x1", "U_x2", "S"]),
        ("and", ["U_x1", "U_x2"]),
        ("redundant", ["R"]),
        ("unique_redundant", ["R", "U_x1"]),
    ],
)
def test_bitwise_factors_convention(kind, columns):
    data = make_bitwise(200, kind=kind, n_groups=4, random_state=0)
    assert list(data.factors.columns) == [*columns, "N_x1", "N_x2", "subject"]
    bits = data.bits
    if "S" in columns:
        np.testing.assert_array_equal(data.factors["S"], data.y)
        np.testing.assert_array_equal(data.factors["S"], bits["b1"] ^ bits["b2"])
    if kind == "unique_redundant":
        np.testing.assert_array_equal(data.factors["R"], bits["r"])
        np.testing.assert_array_equal(data.factors["U_x1"], bits["u"])
    np.testing.assert_array_equal(data.factors["N_x2"], bits["n2"])
    np.testing.assert_array_equal(np.bincount(data.groups), [50] * 4)
    # n_groups only labels blocks: the data are those of the default call
    plain = make_bitwise(200, kind=kind, random_state=0)
    np.testing.assert_array_equal(plain.X["x1"], data.X["x1"])
    assert set(plain.groups) == {0}
    with pytest.raises(ValueError, match="n_groups=300 exceeds"):
        make_bitwise(200, kind=kind, n_groups=300)


# --------------------------------------------------------------------- placement


def test_modality_features_shapes(forward):
    eeg = modality_features(forward.X["eeg"], forward.info["eeg"])
    fnirs = modality_features(forward.X["fnirs"], forward.info["fnirs"])
    # 5 bands per channel after 0 s, and per 1-s window from 0 to 4 s
    assert eeg.shape == (16, len(FORWARD_EEG_CHANNELS) * 5 * 5)
    n_windows = 8  # 2-s windows from 0 s; 156 samples at 7.8125 Hz end just before 18 s
    assert fnirs.shape == (16, forward.X["fnirs"].shape[1] * n_windows * 2)
    assert np.all(np.isfinite(eeg)) and np.all(np.isfinite(fnirs))
    with pytest.raises(ValueError, match="Cannot tell which features"):
        modality_features(forward.X["eeg"], {"sfreq": 250.0})
    with pytest.raises(ValueError, match="need the sampling rate"):
        modality_features(forward.X["eeg"], {"kind": "eeg"})


def test_task_placement_fast():
    data = make_bitwise(300, kind="xor", n_features=6, noise=0.3, n_groups=3, random_state=0)
    table = task_placement(data, cv=3, probes=("linear", "parts"), random_state=0)
    assert list(table.index) == ["U_x1", "U_x2", "S"]
    assert list(table.columns.get_level_values("source").unique()) == ["x1", "x2", "both"]
    assert table.loc["U_x1", ("x1", "linear")] > 0.8 and table.loc["U_x1", ("x2", "linear")] < 0.2
    assert table.loc["U_x2", ("x2", "linear")] > 0.8 and table.loc["U_x2", ("x1", "linear")] < 0.2
    for source in ("x1", "x2", "both"):  # no linear read-out of an XOR, even from both
        assert table.loc["S", (source, "linear")] < 0.2
    for source in ("x1", "x2"):
        assert table.loc["S", (source, "parts")] < 0.2
    assert table.loc["S", ("both", "parts")] > 0.8


def test_task_placement_without_parts_and_errors():
    data = make_bitwise(150, kind="unique", n_features=4, n_groups=3, random_state=0)
    table = task_placement(data, cv=3, probes=("linear", "parts"), random_state=0)
    # no synergy parts named: the parts probe is left out
    assert list(table.columns.get_level_values("probe").unique()) == ["linear"]
    assert list(table.index) == ["U_x1", "U_x2"]
    assert table.loc["U_x1", ("x1", "linear")] > 0.8
    with pytest.raises(ValueError, match="probe 'mlp' is unknown"):
        task_placement(data, probes=("mlp",))
    with pytest.raises(ValueError, match="'Q' is not a column"):
        task_placement(data, factors=["Q"])
    with pytest.raises(ValueError, match="cv must be an int >= 2"):
        task_placement(data, cv=1)
    with pytest.raises(TypeError, match="lacks"):
        task_placement({"X": data.X})


@pytest.mark.slow
@pytest.mark.parametrize("name", ["paired_xor", "multiplicative", "bitwise_xor"])
def test_task_placement_tabular_slow(name):
    data = {
        "paired_xor": lambda: make_paired_xor(2000, random_state=1),
        "multiplicative": lambda: make_multiplicative(2000, random_state=1),
        "bitwise_xor": lambda: make_bitwise(2000, kind="xor", n_groups=10, random_state=1),
    }[name]()
    table = task_placement(data, random_state=0)
    best = table.T.groupby(level="source").max().T
    for m, other in (("x1", "x2"), ("x2", "x1")):
        assert best.loc[f"U_{m}", m] >= 0.8 and best.loc[f"U_{m}", other] <= 0.15
        assert best.loc["S", m] <= 0.15
    if "R" in best.index:
        assert best.loc["R", "x1"] >= 0.8 and best.loc["R", "x2"] >= 0.8
    assert best.loc["S", "both"] >= 0.7


@pytest.mark.slow
@pytest.mark.parametrize("synergy", ["delay", "efficiency"])
def test_task_placement_eeg_fnirs_slow(synergy):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        data = make_eeg_fnirs(n_subjects=4, n_trials=100, synergy=synergy, random_state=1)
        table = task_placement(data, cv=4, random_state=0)
    best = table.T.groupby(level="source").max().T
    assert best.loc["R", "eeg"] >= 0.5 and best.loc["R", "fnirs"] >= 0.5
    assert best.loc["U_eeg", "eeg"] >= 0.5 and best.loc["U_eeg", "fnirs"] <= 0.2
    assert best.loc["U_fnirs", "fnirs"] >= 0.5 and best.loc["U_fnirs", "eeg"] <= 0.2
    # the first simulator's onset time alone betrays the delay a little at the edges of
    # the event window (see its module docstring), hence the looser bound
    assert best.loc["S", "eeg"] <= 0.25 and best.loc["S", "fnirs"] <= 0.25
    assert best.loc["S", "both"] >= 0.5


@pytest.mark.slow
def test_task_placement_forward_slow():
    data = make_eeg_fnirs_forward(n_subjects=6, n_trials=40, random_state=1)
    table = task_placement(data, cv=3, random_state=0)
    best = table.T.groupby(level="source").max().T
    assert best.loc["R", "eeg"] >= 0.5 and best.loc["R", "fnirs"] >= 0.5
    assert best.loc["U_eeg", "eeg"] >= 0.5 and best.loc["U_eeg", "fnirs"] <= 0.2
    assert best.loc["U_fnirs", "fnirs"] >= 0.5 and best.loc["U_fnirs", "eeg"] <= 0.2
    assert best.loc["S", "eeg"] <= 0.2 and best.loc["S", "fnirs"] <= 0.2
    assert best.loc["S", "both"] >= 0.7


@pytest.mark.parametrize("module", ["_forward", "_tabular", "_eeg_fnirs", "_generic"])
def test_task_modules_import_no_model_or_evaluation(module):
    """Simulators stand below models and evaluations: they import neither."""
    import ast
    import importlib

    path = importlib.import_module(f"skpid.datasets.{module}").__file__
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            prefix = "skpid.datasets." if node.level == 1 else "skpid." if node.level == 2 else ""
            imported.add(prefix + (node.module or ""))
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    forbidden = ("decomposition", "nn", "model_selection", "inspection", "metrics", "losses")
    bad = [m for m in imported if any(m.startswith(f"skpid.{f}") for f in forbidden)]
    assert not bad, bad
    assert any(m.startswith("skpid.") for m in imported) or module == "_generic"
