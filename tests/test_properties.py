"""Property-based tests (hypothesis): any input gives finite output of the documented
shape or a ValueError/TypeError from skpid that names the problem."""

import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from skpid._multimodal import check_multimodal  # noqa: E402
from skpid.features import BandEnvelope, BandPower, HemodynamicFeatures  # noqa: E402
from skpid.metrics import (  # noqa: E402
    SmallSampleWarning,
    component_recovery,
    discrete_pid,
    gaussian_pid,
)

FAST = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
ATOMS = ("R", "U1", "U2", "S")
# values from tiny to beyond float32, with NaN and inf
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.floats(-1e3, 1e3),
    st.sampled_from([0.0, 1e-300, 1e40, -1e200]),
)


def _named(exc):
    """A skpid error message is a sentence that says what to do."""
    return len(str(exc)) > 20


@FAST
@given(
    shapes=st.lists(
        st.one_of(
            st.tuples(st.integers(0, 6), st.integers(0, 4)),
            st.tuples(st.integers(0, 6), st.integers(0, 3), st.integers(0, 5)),
        ),
        min_size=1,
        max_size=3,
    ),
    data=st.data(),
)
def test_check_multimodal_finite_or_named_error(shapes, data):
    X = {
        f"m{i}": data.draw(hnp.arrays(np.float64, shape, elements=VALUES))
        for i, shape in enumerate(shapes)
    }
    try:
        out = check_multimodal(X)
    except (ValueError, TypeError) as exc:
        assert _named(exc)
        return
    assert list(out) == list(X)
    for name, arr in out.items():
        assert arr.shape == X[name].shape and min(arr.shape) > 0
        assert np.all(np.isfinite(arr))


@FAST
@given(
    x=hnp.arrays(
        np.float64,
        st.one_of(
            st.tuples(st.integers(0, 5), st.integers(0, 6)),
            st.tuples(st.integers(0, 5), st.integers(0, 6), st.integers(0, 4)),
            st.tuples(st.integers(0, 3)),
        ),
        elements=VALUES,
    ),
    spec=st.one_of(
        st.none(),
        st.integers(-1, 7),
        st.lists(st.integers(-1, 4), max_size=4),
        st.dictionaries(
            st.sampled_from(["eeg", "fnirs"]),
            st.one_of(
                st.lists(st.integers(-8, 8), max_size=4),
                st.slices(6),
                st.lists(st.booleans(), min_size=1, max_size=7),
            ),
            max_size=2,
        ),
        st.sampled_from([True, "eeg", 2.5]),
    ),
)
def test_single_array_entry_point_finite_or_named_error(x, spec):
    try:
        out = check_multimodal(x, modalities=spec)
    except (ValueError, TypeError) as exc:
        assert _named(exc)
        return
    assert sum(a.shape[1] for a in out.values()) >= 1
    for arr in out.values():
        assert arr.shape[0] == x.shape[0] and arr.shape[2:] == x.shape[2:]
        assert min(arr.shape) > 0 and np.all(np.isfinite(arr))


@FAST
@given(
    x=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 3), st.integers(0, 2), st.integers(0, 300)),
        elements=st.one_of(st.floats(-1e3, 1e3), st.sampled_from([0.0, 1e200, np.nan])),
    ),
    relative=st.booleans(),
    log=st.booleans(),
)
def test_band_power_finite_or_named_error(x, relative, log):
    est = BandPower(sfreq=100.0, relative=relative, log=log)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out = est.fit_transform(x)
    except (ValueError, TypeError) as exc:
        assert _named(exc)
        return
    assert out.shape == (x.shape[0], x.shape[1] * len(est.bands_))
    assert np.all(np.isfinite(out))


@FAST
@given(
    n=st.integers(0, 80),
    k=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)),
    seed=st.integers(0, 2**16),
    with_none=st.booleans(),
)
def test_discrete_pid_finite_or_named_error(n, k, seed, with_none):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.integers(0, k[0], n), rng.integers(0, k[1], n)
    y = rng.integers(0, k[2], n).astype(str).astype(object)
    if with_none and n:
        y[rng.integers(n)] = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallSampleWarning)
            pid = discrete_pid(x1, x2, y, n_permutations=3, random_state=seed)
    except (ValueError, TypeError) as exc:
        assert _named(exc)
        return
    values = np.array([pid[a] for a in ATOMS])
    assert np.all(np.isfinite(values))
    assert values.sum() == pytest.approx(pid["I12"], abs=1e-9)
    assert pid["I12"] <= np.log2(len(np.unique(y))) + 1e-9 + abs(pid["I12_bias"])


@FAST
@given(
    data=hnp.arrays(
        np.float64,
        st.tuples(st.integers(0, 40), st.just(3)),
        elements=st.one_of(st.floats(-1e3, 1e3), st.sampled_from([0.0, 1e200, -1e200, np.inf])),
    ),
    measure=st.sampled_from(["tilde", "mmi"]),
)
def test_gaussian_pid_finite_or_named_error(data, measure):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            pid = gaussian_pid(
                data[:, 0], data[:, 1], data[:, 2], measure=measure, n_bootstrap=3, random_state=0
            )
    except (ValueError, TypeError) as exc:
        assert _named(exc)
        return
    assert all(np.isfinite(pid[a]) for a in ATOMS)


EPOCHS = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 3), st.integers(0, 2), st.integers(0, 120)),
    elements=st.one_of(st.floats(-1e3, 1e3), st.sampled_from([0.0, 1e200, -1e-300, np.nan])),
)


@FAST
@given(x=EPOCHS, log=st.booleans())
def test_band_envelope_finite_or_named_error(x, log):
    est = BandEnvelope(sfreq=100.0, out_sfreq=10.0, log=log)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out = est.fit_transform(x)
    except (ValueError, TypeError) as exc:
        assert _named(exc)
        return
    assert out.shape[:2] == (x.shape[0], x.shape[1] * len(est.bands_))
    assert np.all(np.isfinite(out))


@FAST
@given(x=EPOCHS)
def test_hemodynamic_features_finite_or_named_error(x):
    est = HemodynamicFeatures(sfreq=10.0)
    try:
        out = est.fit_transform(x)
    except (ValueError, TypeError) as exc:
        assert _named(exc)
        return
    assert out.shape == (x.shape[0], len(est.get_feature_names_out()))
    assert np.all(np.isfinite(out))


@settings(max_examples=25, derandomize=True, deadline=None)
@given(
    z=hnp.arrays(
        np.float64,
        st.tuples(st.integers(0, 30), st.integers(0, 3)),
        elements=st.one_of(st.floats(-10, 10), st.sampled_from([0.0, 1e200, np.nan])),
    ),
    factor=st.sampled_from(["binary", "constant", "continuous", "short"]),
)
def test_component_recovery_finite_or_named_error(z, factor):
    n = len(z)
    rng = np.random.default_rng(0)
    values = {
        "binary": np.arange(n) % 2,
        "constant": np.zeros(n),
        "continuous": rng.normal(size=n),
        "short": np.zeros(max(n - 1, 0)),
    }[factor]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = component_recovery(z, {"f": values}, cv=2, random_state=0)
    except (ValueError, TypeError) as exc:
        assert _named(exc)
        return
    assert report.scores.shape == (1, 1)
    assert np.all(np.isfinite(report.scores.to_numpy(dtype=float)))
