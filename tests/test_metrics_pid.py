"""Tests of the PID estimators: known decompositions, bias correction, input errors."""

import numpy as np
import pytest
from scipy import stats

from skpid.metrics import (
    broja_pid,
    broja_union,
    discrete_pid,
    gaussian_mi,
    gaussian_pid,
    logdet_bias,
    union_information,
)

ATOMS = ("R", "U1", "U2", "S")
AND_R = 1.5 - 0.75 * np.log2(3)  # I(X1;Y) for AND, the BROJA redundancy (0.311 bit)


def _table(rows, shape=(2, 2, 2)):
    t = np.zeros(shape)
    for r in rows:
        t[r] += 1.0
    return t / t.sum()


XOR = _table([(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)])
AND = _table([(0, 0, 0), (0, 1, 0), (1, 0, 0), (1, 1, 1)])
UNQ = _table([(a, b, a) for a in range(2) for b in range(2)])  # y copies x1
RDN = _table([(0, 0, 0), (1, 1, 1)])
COPY = _table([(a, b, 2 * a + b) for a in range(2) for b in range(2)], shape=(2, 2, 4))
# unique bit from x1 (y0 = x1) and a redundant bit shared by both (y1 = x2 = x1'), Y = (y0, y1)
UNQ_RDN = _table([(2 * a + c, c, 2 * a + c) for a in range(2) for c in range(2)], shape=(4, 2, 4))


@pytest.mark.parametrize(
    ("joint", "expected"),
    [
        (XOR, (0, 0, 0, 1)),
        (AND, (AND_R, 0, 0, 0.5)),
        (UNQ, (0, 1, 0, 0)),
        (RDN, (1, 0, 0, 0)),
        (COPY, (0, 1, 1, 0)),
        (UNQ_RDN, (1, 1, 0, 0)),
    ],
    ids=["xor", "and", "unique", "redundant", "copy", "unique+redundant"],
)
def test_broja_known_decompositions(joint, expected):
    pid = broja_pid(joint)
    np.testing.assert_allclose([pid[k] for k in ATOMS], expected, atol=1e-6)
    assert pid["R"] + pid["U1"] + pid["U2"] + pid["S"] == pytest.approx(pid["I12"])


def test_broja_matches_or_beats_dit(monkeypatch):
    """Same answer as dit on exact cases; on a random table a lower (better) minimum.

    BROJA's union information is a minimum over a convex set: a feasible Q with a lower
    value is closer to it. dit's cone solver is not deterministic and stops early on small
    random tables (seen here: from ~1e-2 bit short up to an invalid R = -0.06 bit), so on
    the random table ours must be no worse than dit, up to our solver's documented
    accuracy (1e-4 bit), and a valid decomposition; equality is required on XOR and AND,
    where dit is reliable.
    """
    dit = pytest.importorskip("dit")
    from dit.pid import PID_BROJA

    # dit runs its random starts in threads that share one optimiser object; under load
    # (pytest -n 2 on 2 cores) their interleaving changes the answer on the exact cases
    monkeypatch.setenv("DIT_OPT_JOBS", "1")

    rng = np.random.default_rng(0)
    tables = [(XOR, True), (AND, True), (rng.dirichlet(np.ones(12)).reshape(2, 3, 2), False)]
    for joint, exact in tables:
        outcomes = [tuple(int(v) for v in idx) for idx in np.ndindex(joint.shape)]
        dist = dit.Distribution(outcomes, joint.ravel())
        dist.prng.seed(0)  # dit's optimiser starts at random points: unseeded, XOR varied
        ref = PID_BROJA(dist, [[0], [1]], [2])
        ours = broja_pid(joint)
        assert ours["R"] >= ref.get_pi(((0,), (1,))) - 1e-4  # R = I1 + I2 - union
        assert min(ours["R"], ours["U1"], ours["U2"], ours["S"]) >= -1e-4
        if exact:
            assert ours["R"] == pytest.approx(ref.get_pi(((0,), (1,))), abs=1e-2)
            assert ours["S"] == pytest.approx(ref.get_pi(((0, 1),)), abs=1e-2)


def test_broja_union_batch_matches_single():
    rng = np.random.default_rng(1)
    batch = rng.dirichlet(np.ones(27), size=3).reshape(3, 3, 3, 3)
    together = broja_union(batch)
    alone = [broja_union(t) for t in batch]
    np.testing.assert_allclose(together, alone, atol=1e-6)


def test_broja_pid_rejects_bad_tables():
    with pytest.raises(ValueError, match="n_x1, n_x2, n_y"):
        broja_pid(np.ones((2, 2)))
    with pytest.raises(ValueError, match="non-negative"):
        broja_pid(-XOR)


# ---------------------------------------------------------------- discrete_pid on samples


def test_discrete_pid_labels_xor_and():
    rng = np.random.default_rng(0)
    x1, x2 = rng.integers(0, 2, 4000), rng.integers(0, 2, 4000)
    xor = discrete_pid(x1, x2, x1 ^ x2, n_permutations=20, random_state=0)
    assert xor["S"] == pytest.approx(1.0, abs=0.02)
    assert max(abs(xor["R"]), abs(xor["U1"]), abs(xor["U2"])) < 0.02
    assert xor["S_pvalue"] == pytest.approx(1 / 21)
    both = discrete_pid(x1, x2, x1 & x2, n_permutations=20, random_state=0)
    assert both["R"] == pytest.approx(AND_R, abs=0.02)
    assert both["S"] == pytest.approx(0.5, abs=0.02)


def test_discrete_pid_continuous_sources_unique_and_redundant_bit():
    """A unique bit (from x1 only) and a redundant bit (in both): 1 bit each."""
    rng = np.random.default_rng(1)
    n = 2000
    u, r = rng.integers(0, 2, n), rng.integers(0, 2, n)
    x1 = np.column_stack([u, r]) + 0.05 * rng.normal(size=(n, 2))
    x2 = r[:, None] + 0.05 * rng.normal(size=(n, 1))
    pid = discrete_pid(x1, x2, 2 * u + r, n_clusters=4, n_permutations=20, random_state=0)
    assert pid["R"] == pytest.approx(1.0, abs=0.03)
    assert pid["U1"] == pytest.approx(1.0, abs=0.03)
    assert abs(pid["U2"]) < 0.03 and abs(pid["S"]) < 0.03
    assert (pid["n_x1"], pid["n_x2"], pid["n_y"]) == (4, 4, 4)  # x2's 2 blobs split in 4


def test_discrete_pid_bias_correction_on_independent_data():
    """Independent data, n = 1,000, 10 clusters per source and target: no information.

    The data are independent, so the observed table is itself a draw from the permutation
    null and the null scale is ~1: the corrected atom (observed minus the scaled null mean)
    exceeds 3 null standard deviations (plus the part of the null mean left by a scale
    below 1) with probability under ~1%, while the plug-in synergy is far above zero.
    """
    rng = np.random.default_rng(0)
    n = 1000
    x1, x2, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)), rng.normal(size=n)
    pid = discrete_pid(x1, x2, y, n_clusters=10, n_permutations=50, random_state=0)
    assert pid["S_plugin"] > 0.3  # the plug-in bias that the correction removes
    assert pid["null_scale"] > 0.9
    assert pid["S_null_std"] < 0.05
    for key in ATOMS:
        slack = (1 - pid["null_scale"]) * abs(pid[f"{key}_null_mean"])
        assert abs(pid[key]) <= 3 * pid[f"{key}_null_std"] + slack + 1e-3, key
    assert pid["S_pvalue"] > 0.01


def test_discrete_pid_correction_keeps_a_deterministic_copy():
    """y = (b1, b2) copied from the sources, 10 clusters each, n = 1,000: U1 = U2 = 1.

    The plain null mean would take ~0.2 bit of synergy away from data with no synergy; the
    scaled correction must leave S at ~0 (null scale ~0) and the unique bits near 1.
    """
    rng = np.random.default_rng(4)
    n = 1000
    b1, b2 = rng.integers(0, 2, n), rng.integers(0, 2, n)
    x1 = b1[:, None] + 0.1 * rng.normal(size=(n, 3))
    x2 = b2[:, None] + 0.1 * rng.normal(size=(n, 3))
    pid = discrete_pid(x1, x2, 2 * b1 + b2, n_permutations=30, random_state=0)
    assert pid["S_plugin"] - pid["S_null_mean"] < -0.1  # what the unscaled null would do
    assert pid["null_scale"] < 0.1
    assert abs(pid["S"]) < 0.02
    assert pid["U1"] == pytest.approx(1.0, abs=0.03) and pid["U2"] == pytest.approx(1.0, abs=0.03)
    assert pid["S"] + pid["R"] + pid["U1"] + pid["U2"] == pytest.approx(pid["I12"])


def test_discrete_pid_deterministic_and_plugin_mode():
    rng = np.random.default_rng(2)
    x1, x2 = rng.normal(size=(300, 2)), rng.normal(size=(300, 3))
    y = rng.integers(0, 3, 300)
    a = discrete_pid(x1, x2, y, n_clusters=5, n_permutations=10, random_state=3)
    b = discrete_pid(x1, x2, y, n_clusters=5, n_permutations=10, random_state=3)
    assert a == b
    plug = discrete_pid(x1, x2, y, n_clusters=5, n_permutations=0, random_state=3)
    assert plug["S"] == pytest.approx(a["S_plugin"])
    assert "S_pvalue" not in plug


def test_discrete_pid_accepts_string_labels():
    rng = np.random.default_rng(3)
    x1, x2 = rng.integers(0, 2, 500), rng.integers(0, 2, 500)
    y = np.where(x1 ^ x2, "left", "right")
    pid = discrete_pid(x1.astype(bool), x2, y, n_permutations=5, random_state=0)
    assert pid["S"] == pytest.approx(1.0, abs=0.03)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_clusters": 1}, "n_clusters"),
        ({"n_permutations": -1}, "n_permutations"),
        ({"n_target_clusters": 0}, "n_target_clusters"),
    ],
)
def test_discrete_pid_rejects_bad_parameters(kwargs, match):
    x = np.arange(20.0)
    with pytest.raises(ValueError, match=match):
        discrete_pid(x, x, x, **kwargs)


def test_discrete_pid_rejects_bad_data():
    x = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match="different numbers"):
        discrete_pid(x, x[:10], x[:, 0])
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        discrete_pid(bad, x, x[:, 0])


# ----------------------------------------------------------------------- gaussian_pid


def _population_pid(cov, d1, d2):
    """MIs, tilde union and MMI union of a known covariance of (X1, X2, Y)."""
    d = cov.shape[0]
    i1 = np.r_[0:d1, d1 + d2 : d]
    i2 = np.r_[d1:d]
    mi1 = gaussian_mi(cov[np.ix_(i1, i1)], d1)
    mi2 = gaussian_mi(cov[np.ix_(i2, i2)], d2)
    return mi1, mi2, gaussian_mi(cov, d1 + d2), union_information(cov, d1, d2)


def test_logdet_bias_matches_wishart_expectation():
    rng = np.random.default_rng(0)
    sigma = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 1.5]])
    dof = 12
    draws = stats.wishart(df=dof, scale=sigma / dof).rvs(20000, random_state=rng)
    excess = np.linalg.slogdet(draws)[1].mean() - np.linalg.slogdet(sigma)[1]
    assert excess == pytest.approx(logdet_bias(3, dof), abs=0.02)
    assert logdet_bias(3, dof) < -0.3  # a sizeable bias at this dof, not a no-op


def test_tilde_equals_mmi_for_scalar_target():
    """Barrett (2015): for a univariate Gaussian target the union is max(I1, I2)."""
    rng = np.random.default_rng(0)
    for _ in range(5):
        a = rng.normal(size=(7, 7))
        cov = a @ a.T + 0.5 * np.eye(7)
        mi1, mi2, _, union = _population_pid(cov, 2, 4)
        assert union == pytest.approx(max(mi1, mi2), abs=1e-6)


def test_tilde_separates_unique_information_that_mmi_misreads():
    """Y = (Y1, Y2) independent, X1 = Y1 + N1, X2 = Y2 + N2 (unit SNR): 0.5 + 0.5 bit unique.

    The ~-PID gives U1 = U2 = 0.5, R = S = 0; MMI puts the same information in R = 0.5 and
    S = 0.5.
    """
    cov = np.array(  # order X1, X2, Y1, Y2
        [[2.0, 0.0, 1.0, 0.0], [0.0, 2.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]]
    )
    mi1, mi2, mi12, union = _population_pid(cov, 1, 1)
    assert (mi1, mi2, mi12) == pytest.approx((0.5, 0.5, 1.0))
    assert union == pytest.approx(1.0, abs=1e-6)  # U1 = U2 = 0.5, R = S = 0

    data = stats.multivariate_normal(cov=cov).rvs(20000, random_state=0)
    tilde = gaussian_pid(data[:, 0], data[:, 1], data[:, 2:], random_state=0)
    mmi = gaussian_pid(data[:, 0], data[:, 1], data[:, 2:], measure="mmi")
    se = 0.03  # ~3 standard errors of an MI near 0.5 bit at n = 20,000
    np.testing.assert_allclose([tilde[k] for k in ATOMS], [0, 0.5, 0.5, 0], atol=se)
    np.testing.assert_allclose([mmi[k] for k in ATOMS], [0.5, 0, 0, 0.5], atol=se)


def test_gaussian_univariate_closed_forms():
    """Scalar X1, X2, Y with correlations r1, r2, r12: I = -0.5 log2(1 - rho^2)."""
    r1, r2, r12 = 0.6, 0.3, 0.2
    cov = np.array([[1.0, r12, r1], [r12, 1.0, r2], [r1, r2, 1.0]])
    mi1, mi2 = -0.5 * np.log2(1 - r1**2), -0.5 * np.log2(1 - r2**2)
    rsq = (r1**2 + r2**2 - 2 * r1 * r2 * r12) / (1 - r12**2)  # squared multiple correlation
    mi12 = -0.5 * np.log2(1 - rsq)
    data = stats.multivariate_normal(cov=cov).rvs(50000, random_state=1)
    for measure in ("mmi", "tilde"):
        pid = gaussian_pid(data[:, 0], data[:, 1], data[:, 2], measure=measure, random_state=0)
        expected = (mi2, mi1 - mi2, 0.0, mi12 - mi1)  # R = min, U2 = 0, S = I12 - max
        np.testing.assert_allclose([pid[k] for k in ATOMS], expected, atol=0.01)


def test_gaussian_redundant_copy():
    """X1 = X2 = Y + N: everything is redundant."""
    rng = np.random.default_rng(0)
    y = rng.normal(size=5000)
    x = y + rng.normal(size=5000)
    pid = gaussian_pid(x, x + 1e-3 * rng.normal(size=5000), y, random_state=0)
    assert pid["R"] == pytest.approx(0.5, abs=0.03)
    assert max(abs(pid["U1"]), abs(pid["U2"]), abs(pid["S"])) < 0.02


def test_gaussian_bias_correction_on_independent_data():
    """Independent Gaussians (10 + 10 + 2 dims, n = 300), 20 data sets.

    The corrected MIs must average to 0 within 3 standard errors. The atoms cannot be
    exactly unbiased here: the truth sits on the boundary union >= max(I1, I2), so any
    estimate obeying it has E[union] >= E[max(e1, e2)] ~ 0.56 sd(MI) > 0 for zero-mean
    errors e1, e2. So each corrected atom must average within one MI standard deviation of
    0 (the unique atoms, bounded below by (e1 - e2)+, keep ~0.56 sd), while the plug-in
    redundancy and synergy carry a positive bias more than twice as large.
    """
    rng = np.random.default_rng(0)
    keys = (*ATOMS, "I1", "I2", "I12")
    plug, corr = [], []
    for seed in range(20):
        x1, x2 = rng.normal(size=(300, 10)), rng.normal(size=(300, 10))
        y = rng.normal(size=(300, 2))
        p = gaussian_pid(x1, x2, y, bias_correction=False)
        c = gaussian_pid(x1, x2, y, n_bootstrap=20, random_state=seed)
        plug.append([p[k] for k in keys])
        corr.append([c[k] for k in keys])
    plug, corr = np.array(plug), np.array(corr)
    sd = corr.std(axis=0, ddof=1)
    assert np.all(np.abs(corr[:, 4:].mean(axis=0)) <= 3 * sd[4:] / np.sqrt(len(corr)))
    mi_sd = sd[4:6].max()
    assert np.all(np.abs(corr[:, :4].mean(axis=0)) <= mi_sd)
    assert plug[:, 0].mean() > 2 * mi_sd and plug[:, 3].mean() > 2 * mi_sd
    for j in (0, 3):  # R and S
        assert plug[:, j].mean() > 2 * abs(corr[:, j].mean())


def test_gaussian_bias_correction_removes_spurious_redundancy():
    """Two unique 0.5-bit components in 10 + 10 dims at n = 300 (truth R = S = 0).

    Spurious sample correlations make the plug-in ~-PID report redundancy and synergy; the
    bootstrap-corrected union must at least halve both, on average over 10 data sets.
    """
    rng = np.random.default_rng(1)
    plug, corr = [], []
    for seed in range(10):
        y = rng.normal(size=(300, 2))
        x1, x2 = rng.normal(size=(300, 10)), rng.normal(size=(300, 10))
        x1[:, 0] += y[:, 0]
        x2[:, 0] += y[:, 1]
        p = gaussian_pid(x1, x2, y, bias_correction=False)
        c = gaussian_pid(x1, x2, y, n_bootstrap=20, random_state=seed)
        plug.append([p["R"], p["S"]])
        corr.append([c["R"], c["S"]])
    plug, corr = np.mean(plug, axis=0), np.mean(corr, axis=0)
    assert np.all(plug > 0.02)
    assert np.all(np.abs(corr) < plug / 2)


def test_gaussian_pid_consistency_and_determinism():
    rng = np.random.default_rng(3)
    x1, x2 = rng.normal(size=(400, 4)), rng.normal(size=(400, 3))
    y = x1[:, :2] + x2[:, :2] + rng.normal(size=(400, 2))
    a = gaussian_pid(x1, x2, y, random_state=7)
    assert a == gaussian_pid(x1, x2, y, random_state=7)
    assert a["R"] + a["U1"] == pytest.approx(a["I1"])
    assert a["R"] + a["U2"] == pytest.approx(a["I2"])
    assert sum(a[k] for k in ATOMS) == pytest.approx(a["I12"])
    cop = gaussian_pid(x1, x2, y, copula=True, random_state=7)
    assert cop["I12"] == pytest.approx(a["I12"], abs=0.1)  # Gaussian data: copula ~ same


def test_gaussian_pid_speed_scale():
    """50 + 50 + 2 dimensions, n = 2,000 runs (timed in benchmarks/bench_pid.py)."""
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=(2000, 50)), rng.normal(size=(2000, 50))
    y = x1[:, :2] - x2[:, :2] + rng.normal(size=(2000, 2))
    pid = gaussian_pid(x1, x2, y, random_state=0)
    assert pid["I12"] > pid["I1"] > 0.3


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((np.zeros((10, 2)), np.zeros((9, 2)), np.zeros(10)), {}, "different numbers"),
        ((np.zeros((5, 2, 2)), np.zeros((5, 2)), np.zeros(5)), {}, "reshape"),
        ((np.ones((6, 3)), np.ones((6, 3)), np.ones(6)), {}, "more samples"),
        ((np.ones((50, 1)), np.ones((50, 1)), np.ones(50)), {"measure": "x"}, "measure"),
        ((np.ones((50, 1)), np.ones((50, 1)), np.ones(50)), {"n_bootstrap": 0}, "n_bootstrap"),
        ((np.ones((50, 1)), np.ones((50, 1)), np.ones(50)), {}, "singular"),
    ],
)
def test_gaussian_pid_rejects_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        gaussian_pid(*args, **kwargs)


def test_gaussian_pid_rejects_nan():
    x = np.random.default_rng(0).normal(size=(50, 2))
    x[4, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        gaussian_pid(x, x[:, ::-1] + 1, x[:, 0])
