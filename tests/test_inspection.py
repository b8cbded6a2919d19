"""Tests of skpid.inspection: physiological probes, forward-model patterns and figures.

Figures are drawn headless (conftest selects the Agg backend).
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from skpid.datasets._eeg_fnirs import make_eeg_fnirs
from skpid.inspection import (
    block_patterns,
    block_scores,
    channel_features,
    haufe_patterns,
    physiological_probes,
    physiological_targets,
    plot_embedding,
    plot_patterns,
    plot_pid,
    plot_recovery,
    plot_training_curves,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def sim():
    # Low noise so that the estimators can be checked against the simulator's truth.
    return make_eeg_fnirs(
        n_subjects=2, n_trials=24, noise_level=0.2, nuisance_strength=0.0, random_state=0
    )


@pytest.fixture(scope="module")
def targets(sim):
    return physiological_targets(sim.X, sim.info, relative=True)


def _two_blocks(n=300, seed=0):
    """Block 'a' linearly encodes t1, block 'b' encodes t2; t1 and t2 independent."""
    rng = np.random.default_rng(seed)
    t = rng.standard_normal((n, 2))
    a = np.c_[t[:, 0], rng.standard_normal(n)] @ rng.standard_normal((2, 3))
    b = np.c_[t[:, 1], rng.standard_normal(n)] @ rng.standard_normal((2, 2))
    return {"a": a, "b": b}, pd.DataFrame(t, columns=["t1", "t2"])


def _history(n_epochs=6, negative_term=True):
    hist = []
    for e in range(n_epochs):
        row = {
            "epoch": e + 1,
            "train_loss": 3.0 / (e + 1),
            "valid_loss": 3.2 / (e + 1) + 0.4 * e,  # lowest at epoch 3
            "train_redundant": 2.0 / (e + 1),
            "valid_redundant": 2.1 / (e + 1),
            "train_batch_count": 4,
            "valid_loss_best": e == 1,
            "dur": 0.1,
        }
        if negative_term:
            row["train_mi_unique"] = -0.1 * e
            row["valid_mi_unique"] = -0.1 * e + 0.05
        hist.append(row)
    return hist


# --- physiological targets ---------------------------------------------------------------


def test_targets_track_the_simulated_physiology(sim, targets):
    f = sim.factors
    assert list(targets.columns) == [
        "eeg_delta",
        "eeg_theta",
        "eeg_alpha",
        "eeg_beta",
        "eeg_gamma",
        "hbo_amplitude",
        "hbr_amplitude",
        "coupling_delay",
    ]
    assert len(targets) == len(f)
    assert np.all(np.isfinite(targets.to_numpy()))
    # metabolic cost: HbO rises and HbR falls with the simulated amplitude
    assert np.corrcoef(targets["hbo_amplitude"], f["amplitude"])[0, 1] > 0.7
    assert np.corrcoef(targets["hbr_amplitude"], f["amplitude"])[0, 1] < -0.6
    assert targets["hbr_amplitude"].median() < 0 < targets["hbo_amplitude"].median()
    # coupling delay: long-delay trials (S = 1, +0.7 s) come out later
    delay = targets["coupling_delay"]
    assert delay[f["S"] == 1].mean() - delay[f["S"] == 0].mean() > 0.3
    assert np.corrcoef(delay, f["lag"])[0, 1] > 0.25
    # activation mode: relative gamma power is highest in gamma-burst trials, alpha in alpha
    by_mode = targets.groupby(f["U_eeg"]).mean()
    assert by_mode["eeg_gamma"].idxmax() == 2
    assert by_mode["eeg_alpha"].idxmax() == 0


def test_targets_single_modality_and_picks(sim):
    eeg_only = physiological_targets(
        {"eeg": sim.X["eeg"][:6]}, sim.info, bands={"alpha": (8, 13)}, eeg_picks=["C3", "C4"]
    )
    assert list(eeg_only.columns) == ["eeg_alpha"]
    assert eeg_only.attrs["units"]["eeg_alpha"] == "log10 V^2"
    fnirs_only = physiological_targets({"fnirs": sim.X["fnirs"][:6]}, sim.info)
    assert list(fnirs_only.columns) == ["hbo_amplitude", "hbr_amplitude"]


def test_targets_bad_input(sim):
    X = {"eeg": sim.X["eeg"][:4], "fnirs": sim.X["fnirs"][:4]}
    with pytest.raises(ValueError, match="no entry for modality 'fnirs'"):
        physiological_targets(X, {"eeg": sim.info["eeg"]})
    with pytest.raises(ValueError, match=r"\['Cz9'\] are not channels"):
        physiological_targets(X, sim.info, eeg_picks=["Cz9"])
    with pytest.raises(ValueError, match="different numbers of trials"):
        physiological_targets({"eeg": sim.X["eeg"][:4], "fnirs": sim.X["fnirs"][:5]}, sim.info)
    with pytest.raises(ValueError, match="No modality of X is EEG"):
        physiological_targets({"m": np.zeros((3, 2, 50))}, {"m": {
            "sfreq": 10.0, "ch_names": ["a", "b"], "ch_types": ["misc", "misc"]}})  # fmt: skip


def test_channel_features(sim):
    feats = channel_features(sim.X, sim.info, band="beta")
    assert feats["eeg"].shape == (48, 32)
    assert list(feats["eeg"].columns) == sim.info["eeg"]["ch_names"]
    assert feats["fnirs"].shape == (48, 20)
    assert all(c.endswith(" hbo") for c in feats["fnirs"].columns)
    assert "HbO" in feats["fnirs"].attrs["units"]
    with pytest.raises(ValueError, match="Unknown band 'mu'"):
        channel_features(sim.X, sim.info, band="mu")


# --- probes ------------------------------------------------------------------------------


def test_probes_find_the_block_that_carries_each_target():
    Z, t = _two_blocks()
    scores = physiological_probes(Z, t, cv=3)
    assert scores.index.tolist() == ["a", "b"] and scores.columns.tolist() == ["t1", "t2"]
    assert scores.loc["a", "t1"] > 0.9 and scores.loc["b", "t2"] > 0.9
    assert scores.loc["a", "t2"] < 0.05 and scores.loc["b", "t1"] < 0.05


def test_probes_accept_every_form_of_blocks_and_are_deterministic():
    Z, t = _two_blocks(n=120)
    from_dict = physiological_probes(Z, t, cv=4, random_state=3)
    arr = np.hstack([Z["a"], Z["b"]])
    from_slices = physiological_probes(
        arr, t, blocks={"a": slice(0, 3), "b": slice(3, 5)}, cv=4, random_state=3
    )
    frame = pd.DataFrame(arr, columns=["a0", "a1", "a2", "b0", "b1"])
    from_frame = physiological_probes(frame, t, cv=4, random_state=3)
    pd.testing.assert_frame_equal(from_dict, from_slices)
    pd.testing.assert_frame_equal(from_dict, from_frame)
    picked = physiological_probes(Z, t["t2"], blocks=["b"], cv=4, random_state=3)
    assert picked.shape == (1, 1)
    assert picked.iloc[0, 0] == pytest.approx(from_dict.loc["b", "t2"])


def test_probes_are_group_aware():
    # The target is a pure subject offset and the block identifies the subject: random
    # folds see every subject in training (high R^2), subject-wise folds cannot.
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(6), 30)
    offset = rng.standard_normal(6)
    Z = {"subject": np.eye(6)[groups] + 0.05 * rng.standard_normal((180, 6))}
    y = pd.Series(offset[groups] + 0.05 * rng.standard_normal(180), name="offset")
    assert physiological_probes(Z, y, cv=3).iloc[0, 0] > 0.8
    assert physiological_probes(Z, y, groups=groups, cv=3).iloc[0, 0] < 0.2


def test_probes_bad_input():
    Z, t = _two_blocks(n=40)
    with pytest.raises(ValueError, match=r"Unknown block\(s\) \['c'\].*blocks \['a', 'b'\]"):
        physiological_probes(Z, t, blocks=["c"])
    with pytest.raises(ValueError, match="39 rows but Z has 40 trials"):
        physiological_probes(Z, t.iloc[:39])
    with pytest.raises(ValueError, match="groups has shape"):
        physiological_probes(Z, t, groups=np.zeros(10))
    with pytest.raises(ValueError, match=r"not numeric"):
        physiological_probes(Z, t.assign(label="x"))
    with pytest.raises(ValueError, match="constant"):
        physiological_probes(Z, t.assign(flat=1.0))
    with pytest.raises(ValueError, match="different numbers of trials"):
        physiological_probes({"a": Z["a"], "b": Z["b"][:30]}, t)
    with pytest.raises(ValueError, match="component_slices_"):
        physiological_probes(np.hstack([Z["a"], Z["b"]]), t, blocks=["a"])


# --- patterns ----------------------------------------------------------------------------


def test_haufe_patterns_recover_the_mixing_matrix():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4000, 2))
    A = rng.standard_normal((5, 2))
    X = z @ A.T + 0.1 * rng.standard_normal((4000, 5))
    np.testing.assert_allclose(haufe_patterns(X, z), A, atol=0.05)
    assert haufe_patterns(X, z[:, 0]).shape == (5, 1)
    with pytest.raises(ValueError, match="same trials"):
        haufe_patterns(X, z[:10])


def test_block_patterns_point_at_the_driving_channel():
    rng = np.random.default_rng(1)
    Z, t = _two_blocks(n=400)
    feats = pd.DataFrame(rng.standard_normal((400, 4)), columns=list("ABCD"))
    feats["C"] += 3 * t["t1"]  # channel C follows the target carried by block a
    patterns = block_patterns({"eeg": feats}, Z, target=t["t1"])
    pat = patterns["eeg"]
    assert pat.index.tolist() == ["a", "b"] and pat.columns.tolist() == list("ABCD")
    assert pat.loc["a"].abs().idxmax() == "C" and pat.loc["a", "C"] > 2.5
    assert pat.loc["b"].abs().max() < 0.5
    scores = block_scores(Z)
    np.testing.assert_allclose(scores.std(ddof=0), 1.0)
    with pytest.raises(ValueError, match="one row per trial"):
        block_patterns({"eeg": feats.iloc[:10]}, Z)


# --- figures -----------------------------------------------------------------------------


def test_plot_recovery():
    names = ["R", "U_eeg", "U_fnirs", "S"]
    table = pd.DataFrame(np.eye(4) * 0.8 + 0.05, index=names, columns=names)
    fig = plot_recovery(table)
    assert isinstance(fig, Figure)
    ax, cbar = fig.axes
    assert ax.get_xlabel() == "factor" and ax.get_ylabel() == "block" and ax.get_title()
    assert cbar.get_ylabel() == "recovery score"
    outlined = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert sorted((p.get_x() + 0.5, p.get_y() + 0.5) for p in outlined) == [
        (i, i) for i in range(4)
    ]
    assert len(ax.texts) == 16 and ax.texts[0].get_text() == "0.85"
    lo, hi = ax.images[0].get_clim()
    assert lo == -hi  # centred at 0
    # an existing axes, expected cells given by name
    fig2, ax2 = plt.subplots()
    assert plot_recovery(table, ax=ax2, expected={"S": ["R", "S"]}, annotate=False) is fig2
    assert len(ax2.patches) == 2 and not ax2.texts
    with pytest.raises(TypeError, match="DataFrame"):
        plot_recovery(table.to_numpy())
    with pytest.raises(ValueError, match=r"\['Q'\] are not blocks"):
        plot_recovery(table, expected={"Q": "R"})


@pytest.mark.parametrize("kind", ["stacked", "grouped"])
def test_plot_pid(kind):
    pid = {
        "y_R": {"R": 0.8, "U1": 0.05, "U2": 0.03, "S": 0.02},
        "y_S": {"R": 0.0, "U1": 0.01, "U2": -0.02, "S": 0.9},
    }
    fig = plot_pid(pid, kind=kind, source_names=("EEG", "fNIRS"))
    (ax,) = fig.axes
    assert len(ax.patches) == 8
    assert ax.get_ylabel() == "information (bits)" and ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["y_R", "y_S"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["redundant", "unique EEG", "unique fNIRS", "synergistic"]
    if kind == "stacked":  # bar tops add up to the total information
        tops = {}
        for p in ax.patches:
            if p.get_height() > 0:
                x = round(p.get_x(), 6)
                tops[x] = max(tops.get(x, 0), p.get_y() + p.get_height())
        assert sorted(tops.values()) == pytest.approx([0.9, 0.91])


def test_plot_pid_bad_input():
    with pytest.raises(ValueError, match=r"lacks the atom\(s\) \['S'\]"):
        plot_pid({"R": 0.1, "U1": 0.1, "U2": 0.1})
    with pytest.raises(TypeError, match="keys R, U1, U2, S"):
        plot_pid([0.1, 0.2])
    with pytest.raises(ValueError, match="kind must be"):
        plot_pid({"R": 0.1, "U1": 0.1, "U2": 0.1, "S": 0.1}, kind="pie")
    one = plot_pid(pd.DataFrame({"R": [0.2], "U1": [0.1], "U2": [0.0], "S": [0.3]}))
    assert len(one.axes[0].patches) == 4


def test_plot_embedding():
    Z, t = _two_blocks(n=60)
    Z["s"] = t[["t1"]].to_numpy()  # a one-component block
    fig = plot_embedding(Z, np.arange(60) % 3, color_name="U_eeg")
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == ["a (3 comp.)", "b (2 comp.)", "s (1 comp.)"]
    assert fig.axes[0].get_xlabel().startswith("PC1 (") and fig.axes[0].get_ylabel()
    assert fig.axes[2].get_ylabel() == "jitter"
    assert fig.axes[-1].get_legend().get_title().get_text() == "U_eeg"
    # continuous colour: one colour bar; t-SNE labels
    fig = plot_embedding(Z, t["t2"], blocks=["a", "b"], method="tsne", perplexity=5)
    assert len(fig.axes) == 3 and fig.axes[-1].get_ylabel() == "t2"
    assert fig.axes[0].get_xlabel() == "t-SNE 1"
    with pytest.raises(ValueError, match="Unknown block"):
        plot_embedding(Z, t["t1"], blocks=["zz"])
    with pytest.raises(ValueError, match="color has 59 values but Z has 60 trials"):
        plot_embedding(Z, t["t1"][:59])
    with pytest.raises(ValueError, match="Got 1 axes for 3 panels"):
        plot_embedding(Z, t["t1"], axes=plt.subplots()[1])


def test_plot_embedding_is_deterministic():
    Z, t = _two_blocks(n=40)
    offsets = []
    for _ in range(2):
        fig = plot_embedding(Z, t["t1"], blocks=["a"], method="tsne", perplexity=5)
        offsets.append(fig.axes[0].collections[0].get_offsets().data.copy())
    np.testing.assert_array_equal(*offsets)


def test_plot_patterns(sim):
    feats = channel_features(sim.X, sim.info, band="alpha")
    Z = {"U_eeg": feats["eeg"].to_numpy()[:, :4], "U_fnirs": feats["fnirs"].to_numpy()[:, :4]}
    patterns = block_patterns(feats, Z)
    fig = plot_patterns(patterns, sim.info)
    maps = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in maps] == [  # rows: blocks, columns: modalities
        "U_eeg | eeg",
        "U_eeg | fnirs",
        "U_fnirs | eeg",
        "U_fnirs | fnirs",
    ]
    assert len(fig.axes) == 6  # 4 maps and a colour bar per modality
    cbar_labels = [ax.get_xlabel() for ax in fig.axes if not ax.get_title()]
    assert "alpha power (log10 V^2)" in cbar_labels[0]
    assert "HbO" in cbar_labels[1]
    for ax in maps:
        lo, hi = ax.images[0].get_clim()
        assert lo == -hi
    with pytest.raises(ValueError, match="unnamed columns"):
        plot_patterns({"eeg": pd.DataFrame(np.ones((1, 32)), index=["R"]).add_prefix("ch")},
                      sim.info)  # fmt: skip
    mixed = pd.DataFrame(np.ones((1, 40)), columns=sim.info["fnirs"]["ch_names"], index=["R"])
    with pytest.raises(ValueError, match="mix channel types"):
        plot_patterns({"fnirs": mixed}, sim.info)
    with pytest.raises(ValueError, match="no entry for modality 'eeg'"):
        plot_patterns({"eeg": patterns["eeg"]}, {"fnirs": sim.info["fnirs"]})


def test_plot_training_curves():
    hist = _history()
    fig = plot_training_curves(hist)
    assert [ax.get_title() for ax in fig.axes] == ["total loss", "redundant", "mi_unique"]
    total, _, mi = fig.axes
    assert total.get_yscale() == "log" and mi.get_yscale() == "linear"  # negative values
    assert all(ax.get_xlabel() == "epoch" and ax.get_ylabel().startswith("loss") for ax in fig.axes)
    assert [line.get_label() for line in total.get_lines()[:2]] == ["train", "valid"]
    np.testing.assert_allclose(total.get_lines()[0].get_ydata(), [3.0 / e for e in range(1, 7)])
    assert "best validation epoch, 3" in fig._suptitle.get_text()
    # an object with a .history (a skorch net), terms picked, no log scale
    net = type("Net", (), {"history": hist})()
    fig = plot_training_curves(net, terms=["redundant"], logy=False)
    assert len(fig.axes) == 2 and fig.axes[0].get_yscale() == "linear"
    with pytest.raises(ValueError, match=r"Unknown loss term\(s\) \['nope'\]"):
        plot_training_curves(hist, terms=["nope"])
    with pytest.raises(ValueError, match="history is empty"):
        plot_training_curves([])
    with pytest.raises(ValueError, match="no 'train_loss'"):
        plot_training_curves([{"epoch": 1, "dur": 0.1}])
    with pytest.raises(TypeError, match="list of per-epoch dicts"):
        plot_training_curves("history")
    with pytest.raises(ValueError, match="logy=True"):
        plot_training_curves(hist, logy=True)


def test_plot_recovery_accepts_a_recovery_report():
    from skpid.metrics import component_recovery

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 40)
    Z = np.column_stack([y + 0.1 * rng.standard_normal(80), rng.standard_normal(80)])
    report = component_recovery(Z, pd.DataFrame({"a": y}), blocks={"a": [0], "b": [1]})
    ax = plot_recovery(report).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert ax.texts[0].get_text() == f"{report.scores.iloc[0, 0]:.2f}"


def test_training_curves_axis_choices():
    # A positive curve spanning less than a factor of 3 reads better on a linear axis.
    flat = [{"epoch": e, "train_loss": 4.85 + 0.001 * e} for e in range(1, 6)]
    ax = plot_training_curves(flat).axes[0]
    assert ax.get_yscale() == "linear"
    ticks = [t for t in ax.get_xticks() if 1 <= t <= 5]
    assert ticks and all(float(t).is_integer() for t in ticks)
