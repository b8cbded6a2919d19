"""Tests of the linear hierarchical model skpid.decomposition._linear_hcl."""

import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from skorch.helper import SliceDict

from skpid.datasets._generic import make_multimodal_gaussian
from skpid.decomposition._linear_hcl import (
    LinearHCL,
    loading_recovery_error,
    marchenko_pastur_median,
    noise_variance,
    shrunk_spikes,
)

PRUNED = ["m0+m1+m2", "m0+m1", "m0", "m1", "m2"]  # no m0+m2, no m1+m2


def _noiseless(n=1500, seed=0):
    """X = Z W^T with latents whose sample covariance is exactly the identity."""
    data = make_multimodal_gaussian(
        10, n_features=[10, 11, 12], latent_dim=2, noise=0.0, random_state=seed
    )
    rng = np.random.default_rng(seed)
    k = sum(2 for _ in data.structures)
    z = rng.standard_normal((n, k))
    z -= z.mean(axis=0)
    z = np.linalg.qr(z)[0] * np.sqrt(n - 1)  # centred, sample covariance I
    latents = dict(zip(data.structures, np.split(z, len(data.structures), axis=1), strict=True))
    X = {
        m: sum(
            latents[s] @ data.loadings[m, s].T for s in data.structures if (m, s) in data.loadings
        )
        for m in data.modality_names
    }
    return SliceDict(**X), data.loadings


@pytest.fixture(scope="module")
def pruned_data():
    return make_multimodal_gaussian(
        3000, n_features=[10, 12, 14], structure=PRUNED, latent_dim=2, noise=0.3, random_state=1
    )


# ------------------------------------------------------------------ plain functions


def test_loading_recovery_error_is_rotation_invariant_and_counts_missing_blocks():
    rng = np.random.default_rng(0)
    truth = {
        ("a", "a+b"): rng.standard_normal((4, 2)),
        ("b", "a+b"): rng.standard_normal((3, 2)),
        ("a", "a"): rng.standard_normal((4, 1)),
    }
    rotation = np.linalg.qr(rng.standard_normal((2, 2)))[0]
    rotated = {key: W @ rotation if key[1] == "a+b" else -W for key, W in truth.items()}
    errors = loading_recovery_error(truth, rotated)
    assert set(zip(errors.structure, errors.modality, errors.modality2, strict=True)) == {
        ("a+b", "a", "a"),
        ("a+b", "a", "b"),
        ("a+b", "b", "b"),
        ("a", "a", "a"),
    }
    assert_allclose(errors.error, 0, atol=1e-12)
    assert list(errors.kind) == ["within", "cross", "within", "within"]

    # per-modality rotations break the cross-modality product but not the within ones
    independent = dict(rotated)
    independent["b", "a+b"] = truth["b", "a+b"] @ np.array([[0.0, 1.0], [1.0, 0.0]])
    errors = loading_recovery_error(truth, independent).set_index(["modality", "modality2"])
    assert errors.loc[("b", "b"), "error"] < 1e-12
    cross = truth["a", "a+b"] @ truth["b", "a+b"].T
    wrong = rotated["a", "a+b"] @ independent["b", "a+b"].T
    assert_allclose(errors.loc[("a", "b"), "error"], np.linalg.norm(cross - wrong))

    # a missing structure costs the norm of its product; a spurious one its own
    missing = loading_recovery_error(truth, {k: v for k, v in truth.items() if k[1] != "a"})
    row = missing[missing.structure == "a"].iloc[0]
    assert_allclose(row.error, np.linalg.norm(truth["a", "a"] @ truth["a", "a"].T))
    assert_allclose(row.error, row.norm)
    spurious = loading_recovery_error({}, {("a", "a"): np.ones((4, 1))})
    assert_allclose(spurious.error, 4.0)


def test_loading_recovery_error_rejects_bad_input():
    with pytest.raises(TypeError, match="dict of"):
        loading_recovery_error([np.ones((2, 1))], {})
    with pytest.raises(ValueError, match="same features"):
        loading_recovery_error({("a", "a"): np.ones((3, 1))}, {("a", "a"): np.ones((4, 1))})


def test_noise_variance_and_spikes_match_random_matrix_theory():
    rng = np.random.default_rng(0)
    n, d = 4000, 200
    noise = 2.0 * rng.standard_normal((n, d))
    cov = noise.T @ noise / n
    assert abs(noise_variance(cov, n) / 4.0 - 1) < 0.03  # Marchenko-Pastur median
    signal = np.outer(rng.standard_normal(n), np.ones(d) / np.sqrt(d)) * np.sqrt(4 * 3.0)
    cov = (noise + signal).T @ (noise + signal) / n
    sigma2 = noise_variance(cov, n, rank=1)
    assert abs(sigma2 / 4.0 - 1) < 0.03
    eig = np.linalg.eigvalsh(cov / sigma2)[::-1]
    spike, cos2, shrunk = shrunk_spikes(eig[:3], n, d)
    assert abs(spike[0] / 3.0 - 1) < 0.1  # the population spike, not the biased eigenvalue
    assert eig[0] > spike[0] + 1 and 0.9 < cos2[0] < 1
    assert_array_equal(shrunk[1:], 0)  # bulk eigenvalues are not spikes
    assert 0.5 < marchenko_pastur_median(0.5) < 1 == marchenko_pastur_median(0.0)


# ------------------------------------------------------------------------ recovery


@pytest.mark.parametrize("method", ["covariance", "gradient"])
def test_noiseless_recovery_is_exact_within_and_across_modalities(method):
    X, truth = _noiseless()
    hcl = LinearHCL(n_components=2, structure="hierarchical", method=method).fit(X)
    errors = loading_recovery_error(truth, hcl.loadings_)
    assert len(errors) == 6 + 3 * 3 + 3  # global: 3 within + 3 cross, pairs: 2 + 1, specific
    assert set(errors.kind) == {"within", "cross"}
    assert np.all(errors.error <= 1e-6 * errors.norm), errors.sort_values("error").tail()
    assert hcl.pruned_structures_ == []
    assert all(v < 1e-8 for v in hcl.noise_var_.values())


def test_absent_structures_are_pruned_and_the_rest_recovered(pruned_data):
    hcl = LinearHCL(structure="auto").fit(pruned_data.X)
    assert hcl.structures_ == PRUNED
    assert sorted(hcl.pruned_structures_) == ["m0+m2", "m1+m2"]
    assert hcl.n_components_ == dict.fromkeys(PRUNED, 2)
    assert_allclose(list(hcl.noise_var_.values()), 0.09, rtol=0.1)
    errors = loading_recovery_error(pruned_data.loadings, hcl.loadings_)
    assert np.all(errors.error < 0.15 * errors.norm), errors
    # an explicit structure with fixed sizes keeps every block at its width
    fixed = LinearHCL(n_components=2, structure="hierarchical").fit(pruned_data.X)
    assert fixed.pruned_structures_ == [] and len(fixed.structures_) == 7
    for s in ("m0+m2", "m1+m2"):  # nothing rises above the noise there: zero columns
        assert_allclose(fixed.loadings_["m0" if s == "m0+m2" else "m1", s], 0)


def test_transform_is_the_posterior_mean_of_the_latents(pruned_data):
    hcl = LinearHCL(structure="auto", method="gradient").fit(pruned_data.X)
    Z = hcl.transform(pruned_data.X)
    assert Z.shape == (3000, 10)
    assert hcl.n_iter_ >= 1
    for s in PRUNED:
        block = Z[:, hcl.component_slices_[s]]
        r2 = (
            LinearRegression()
            .fit(block, pruned_data.latents[s])
            .score(block, pruned_data.latents[s])
        )
        assert r2 > 0.9, (s, r2)
    # blocks are uncorrelated with the other structures' latents
    block = Z[:, hcl.component_slices_["m0"]]
    leak = LinearRegression().fit(block, pruned_data.latents["m1"])
    assert leak.score(block, pruned_data.latents["m1"]) < 0.02


def test_rescaling_a_modality_rescales_its_loadings(pruned_data):
    X = dict(pruned_data.X)
    hcl = LinearHCL(structure="auto").fit(X)
    X["m1"] = X["m1"] * 1e-5  # e.g. volts instead of tens of microvolts
    scaled = LinearHCL(structure="auto").fit(X)
    assert scaled.structures_ == hcl.structures_
    for (m, s), W in hcl.loadings_.items():
        factor = 1e-5 if m == "m1" else 1.0
        assert_allclose(scaled.loadings_[m, s], factor * W, rtol=1e-6, atol=1e-12)
    assert_allclose(scaled.transform(X), hcl.transform(pruned_data.X), rtol=1e-6, atol=1e-9)


def test_fit_is_deterministic(pruned_data):
    a = LinearHCL(structure="auto", method="gradient", random_state=0).fit(pruned_data.X)
    b = LinearHCL(structure="auto", method="gradient", random_state=0).fit(pruned_data.X)
    c = LinearHCL(structure="auto", method="gradient", random_state=1).fit(pruned_data.X)
    for other in (b, c):
        assert_array_equal(a.components_, other.components_)
        assert_array_equal(a.transform(pruned_data.X), other.transform(pruned_data.X))


# ---------------------------------------------------------------- scikit-learn API


# scikit-learn's checks pass one 2-D array, read as two modalities (its two halves of
# columns); a fixed structure and size keep the output width independent of the data.
@parametrize_with_checks(
    [
        LinearHCL(n_components=1, structure="hierarchical"),
        LinearHCL(n_components=1, structure="hierarchical", method="gradient"),
    ],
    expected_failed_checks=lambda est: (
        {"check_transformer_n_iter": "closed form: no iterations unless method='gradient'"}
        if est.method == "covariance"
        else {}
    ),
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_feature_names_slices_and_pandas_output(pruned_data):
    hcl = LinearHCL(n_components={s: 1 for s in PRUNED}, structure=PRUNED)
    hcl.set_output(transform="pandas").fit(pruned_data.X)
    names = hcl.get_feature_names_out()
    assert list(names) == ["m0+m1+m2_0", "m0+m1_0", "m0_0", "m1_0", "m2_0"]
    out = hcl.transform(pruned_data.X[:5])
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(names)
    assert hcl.component_slices_["m0+m1"] == slice(1, 2)
    assert hcl.components_.shape == (5, 36)
    assert hcl.loadings_["m2", "m0+m1+m2"].shape == (14, 1)
    assert ("m2", "m0+m1") not in hcl.loadings_


def test_clone_pickle_pipeline_and_grid_search(pruned_data):
    X, y = pruned_data.X, pruned_data.y
    hcl = LinearHCL(structure="auto")
    assert clone(hcl).get_params() == hcl.get_params()
    fitted = pickle.loads(pickle.dumps(hcl.fit(X)))
    assert_allclose(fitted.transform(X[:7]), hcl.transform(X[:7]))
    pipe = make_pipeline(LinearHCL(structure="auto"), LogisticRegression())
    assert pipe.fit(X, y).score(X, y) > 0.8  # y is a sign of the global latent
    grid = GridSearchCV(pipe, {"linearhcl__method": ["covariance", "gradient"]}, cv=2)
    grid.fit(X, y)
    assert grid.best_score_ > 0.8


def test_single_array_is_split_in_two_halves():
    data = make_multimodal_gaussian(
        800, n_modalities=2, n_features=6, latent_dim=1, noise=0.2, random_state=0
    )
    X = np.hstack([data.X["m0"], data.X["m1"]])
    hcl = LinearHCL().fit(X)
    assert hcl.modalities_ == ["m0", "m1"] and hcl.n_features_in_ == 12
    assert hcl.structures_ == ["m0+m1", "m0", "m1"]
    named = LinearHCL(modalities={"eeg": slice(0, 6), "fnirs": slice(6, 12)}).fit(X)
    assert named.structures_ == ["eeg+fnirs", "eeg", "fnirs"]
    with pytest.raises(ValueError, match="has 11 features"):
        hcl.transform(X[:, :11])


@pytest.mark.parametrize(
    ("X", "params", "match"),
    [
        ({"a": np.ones((5, 3))}, {}, "at least 2"),
        ({"a": np.ones((5, 3, 4)), "b": np.ones((5, 3))}, {}, "Extract features first"),
        ({"a": np.eye(5), "b": np.eye(5)}, {"structure": ["a+c"]}, "not in the data"),
        ({"a": np.eye(5), "b": np.eye(5)}, {"structure": ["a", "a"]}, "twice"),
        ({"a": np.eye(5), "b": np.eye(5)}, {"n_components": {"a": 1}}, "no entry for"),
        ({"a": np.eye(5), "b": np.eye(5)}, {"n_components": {"x": 1}}, "not one of"),
        ({"a": np.eye(5), "b": np.eye(5)}, {"modalities": 2}, "Leave modalities=None"),
    ],
)
def test_bad_input_names_the_problem_and_the_fix(X, params, match):
    with pytest.raises(ValueError, match=match):
        LinearHCL(**params).fit(X)


def test_pure_noise_has_nothing_to_keep():
    rng = np.random.default_rng(0)
    X = {"a": rng.standard_normal((500, 8)), "b": rng.standard_normal((500, 9))}
    with pytest.raises(ValueError, match=r"every\s+structure was pruned"):
        LinearHCL().fit(X)
    fixed = LinearHCL(n_components=1, structure="hierarchical").fit(X)
    assert fixed.transform(X).shape == (500, 3)
