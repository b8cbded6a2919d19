"""Tests of skpid._multimodal: the single validation entry point for multimodal input."""

import re

import numpy as np
import pytest
import torch
from skorch.helper import SliceDict

from skpid._multimodal import check_multimodal, check_signature, n_trials, signature

N = 7


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    return {
        "eeg": rng.standard_normal((N, 4, 50)),
        "fnirs": rng.standard_normal((N, 6, 10)),
        "tabular": rng.standard_normal((N, 5)),
    }


# --- mappings -----------------------------------------------------------------------------


@pytest.mark.parametrize("container", [dict, lambda **kw: SliceDict(**kw)])
def test_mapping_with_different_shapes_is_kept(batch, container):
    data = check_multimodal(container(**batch))
    assert list(data) == ["eeg", "fnirs", "tabular"]
    for name, arr in batch.items():
        assert data[name].shape == arr.shape
        np.testing.assert_array_equal(data[name], arr)
    assert n_trials(data) == N
    assert signature(data) == {"eeg": (4, 50), "fnirs": (6, 10), "tabular": (5,)}


def test_slicedict_rows_stay_aligned(batch):
    X = SliceDict(**batch)
    data = check_multimodal(X[2:5])
    for name, arr in batch.items():
        np.testing.assert_array_equal(data[name], arr[2:5])


# --- a single array split along axis 1 -----------------------------------------------------


@pytest.fixture(params=["2d", "3d"])
def single(request):
    rng = np.random.default_rng(1)
    shape = (N, 6) if request.param == "2d" else (N, 6, 20)
    return rng.standard_normal(shape)


@pytest.mark.parametrize(
    "spec",
    [
        {"eeg": slice(0, 2), "fnirs": slice(2, None)},
        {"eeg": [0, 1], "fnirs": [2, 3, 4, 5]},
        {"eeg": np.arange(6) < 2, "fnirs": np.arange(6) >= 2},
        {"eeg": [-6, -5], "fnirs": [2, 3, 4, 5]},
    ],
    ids=["slice", "int-list", "bool-mask", "negative-int"],
)
def test_single_array_split_by_mapping(single, spec):
    data = check_multimodal(single, modalities=spec)
    assert list(data) == ["eeg", "fnirs"]
    np.testing.assert_array_equal(data["eeg"], single[:, :2])
    np.testing.assert_array_equal(data["fnirs"], single[:, 2:])


def test_mapping_spec_keeps_the_given_channel_order(single):
    data = check_multimodal(single, modalities={"a": [3, 0]})
    np.testing.assert_array_equal(data["a"], single[:, [3, 0]])


@pytest.mark.parametrize("sizes", [[2, 4], (2, 4), np.array([2, 4])])
def test_single_array_split_by_block_sizes(single, sizes):
    data = check_multimodal(single, modalities=sizes)
    assert list(data) == ["m0", "m1"]
    np.testing.assert_array_equal(data["m0"], single[:, :2])
    np.testing.assert_array_equal(data["m1"], single[:, 2:])


def test_single_array_split_by_int(single):
    data = check_multimodal(single, modalities=4)
    assert list(data) == ["m0", "m1", "m2", "m3"]
    # np.array_split: the first blocks get the extra column
    assert [data[m].shape[1] for m in data] == [2, 2, 1, 1]
    np.testing.assert_array_equal(np.concatenate(list(data.values()), axis=1), single)


def test_single_array_split_by_numpy_int(single):
    data = check_multimodal(single, modalities=np.int64(2))
    assert [data[m].shape[1] for m in data] == [3, 3]


# --- dtypes --------------------------------------------------------------------------------


def test_float32_is_kept_and_float64_too(batch):
    data = check_multimodal({"a": batch["eeg"].astype(np.float32), "b": batch["fnirs"]})
    assert data["a"].dtype == np.float32
    assert data["b"].dtype == np.float64


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint16, np.float16, bool])
def test_other_numeric_dtypes_become_float64(dtype):
    x = (np.arange(N * 3 * 4).reshape(N, 3, 4) % 3).astype(dtype)
    data = check_multimodal({"a": x})
    assert data["a"].dtype == np.float64
    np.testing.assert_array_equal(data["a"], x.astype(np.float64))


def test_nested_lists_are_accepted():
    data = check_multimodal({"a": [[1, 2], [3, 4]]})
    assert data["a"].dtype == np.float64
    np.testing.assert_array_equal(data["a"], [[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [(torch.float32, np.float32), (torch.float64, np.float64), (torch.int64, np.float64)],
)
def test_torch_tensors_are_accepted(dtype, expected):
    t = torch.arange(N * 2 * 3).reshape(N, 2, 3).to(dtype)
    data = check_multimodal({"eeg": t, "fnirs": t[:, :1]})
    assert isinstance(data["eeg"], np.ndarray)
    assert data["eeg"].dtype == expected
    np.testing.assert_array_equal(data["eeg"], t.double().numpy())


def test_torch_tensor_with_grad_and_bfloat16_are_accepted():
    t = torch.ones(N, 3, requires_grad=True)
    data = check_multimodal({"a": t * 2, "b": torch.ones(N, 3, dtype=torch.bfloat16)})
    np.testing.assert_array_equal(data["a"], np.full((N, 3), 2.0))
    assert data["b"].dtype == np.float32
    np.testing.assert_array_equal(data["b"], np.ones((N, 3)))


def test_single_torch_tensor_with_spec():
    t = torch.zeros(N, 4, 8)
    data = check_multimodal(t, modalities=[1, 3])
    assert data["m1"].shape == (N, 3, 8)


# --- error paths ---------------------------------------------------------------------------


def test_unequal_trial_counts(batch):
    batch["fnirs"] = batch["fnirs"][:-1]
    with pytest.raises(ValueError, match=r"different numbers of trials: .*'eeg': 7.*'fnirs': 6"):
        check_multimodal(batch)


@pytest.mark.parametrize(
    "value", [np.array([["a", "b"], ["c", "d"]]), np.array([[1, None], ["x", 2]], dtype=object)]
)
def test_non_numeric(value):
    with pytest.raises(ValueError, match=r"Modality 'a' .*(non-numeric|not numeric).*pass numbers"):
        check_multimodal({"a": value})


def test_datetime_is_not_numeric():
    x = np.zeros((3, 2), dtype="datetime64[s]")
    with pytest.raises(ValueError, match=r"dtype datetime64\[s\], which is not numeric"):
        check_multimodal({"a": x})


def test_ragged_trials():
    with pytest.raises(ValueError, match=r"could not be read as one array.*same shape"):
        check_multimodal({"a": [[1.0, 2.0], [3.0]]})


def test_complex():
    x = np.ones((3, 2)) + 1j
    with pytest.raises(ValueError, match=r"'a' is complex-valued; pass real signals"):
        check_multimodal({"a": x})


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_name_the_trials(batch, bad):
    batch["fnirs"][3, 2, 1] = bad
    batch["fnirs"][5, 0, 0] = bad
    with pytest.raises(
        ValueError, match=r"'fnirs' contains 2 NaN or infinite values \(trials \[3, 5\]\).*Drop"
    ):
        check_multimodal(batch)


def test_non_finite_values_in_a_single_array():
    x = np.zeros((4, 6))
    x[1, 5] = np.nan
    with pytest.raises(ValueError, match=r"'b' contains 1 NaN .*trials \[1\]"):
        check_multimodal(x, modalities={"a": [0, 1], "b": [4, 5]})
    # the NaN outside every modality is not looked at
    check_multimodal(x, modalities={"a": [0, 1]})


@pytest.mark.parametrize("shape", [(N,), (N, 2, 3, 4)], ids=["1d", "4d"])
def test_modality_with_wrong_ndim(shape):
    with pytest.raises(
        ValueError, match=rf"'a' has shape {re.escape(str(shape))}.*x\[:, None, :\]"
    ):
        check_multimodal({"a": np.zeros(shape), "b": np.zeros((N, 2))})


def test_scalar_modality():
    with pytest.raises(ValueError, match=r"'a' has shape \(\); expected"):
        check_multimodal({"a": 3.0})


@pytest.mark.parametrize("shape", [(N,), (N, 2, 3, 4)], ids=["1d", "4d"])
def test_single_array_with_wrong_ndim(shape):
    with pytest.raises(ValueError, match=r"a single array must be .*dict/SliceDict"):
        check_multimodal(np.zeros(shape), modalities=1)


def test_too_few_trials(batch):
    with pytest.raises(ValueError, match=r"Got 1 trial\(s\); at least 2 are needed"):
        check_multimodal({k: v[:1] for k, v in batch.items()})
    with pytest.raises(ValueError, match=r"Got 7 trial\(s\); at least 10 are needed"):
        check_multimodal(batch, min_trials=10)
    with pytest.raises(ValueError, match=r"Got 0 trial\(s\)"):
        check_multimodal({"a": np.zeros((0, 3))}, min_trials=1)


def test_too_few_modalities(batch):
    with pytest.raises(ValueError, match=r"Got 1 modality\(ies\) \(\['eeg'\]\); at least 2"):
        check_multimodal({"eeg": batch["eeg"]}, min_modalities=2)
    with pytest.raises(ValueError, match=r"Got 1 modality.*at least 2.*specification"):
        check_multimodal(np.zeros((N, 4)), modalities=1, min_modalities=2)


def test_empty_mapping():
    with pytest.raises(ValueError, match=r"empty mapping; pass at least one modality"):
        check_multimodal({})


def test_non_str_modality_name():
    with pytest.raises(TypeError, match=r"Modality names must be str, got 0"):
        check_multimodal({0: np.zeros((N, 2))})


def test_modalities_given_with_a_mapping(batch):
    with pytest.raises(ValueError, match=r"X is already a mapping.*Leave modalities=None"):
        check_multimodal(batch, modalities=[2, 2])


def test_missing_modalities_for_an_array():
    with pytest.raises(ValueError, match=r"shape \(7, 6\) but modalities=None.*Pass modalities="):
        check_multimodal(np.zeros((N, 6)))


@pytest.mark.parametrize(
    ("spec", "error", "match"),
    [
        (0, ValueError, r"modalities=0 asks for 0 equal blocks.*between 1 and 6"),
        (7, ValueError, r"modalities=7 asks for 7 equal blocks.*between 1 and 6"),
        ([2, 3], ValueError, r"block sizes.*summing to 6"),
        ([2, 0, 4], ValueError, r"positive integers summing to 6"),
        ([2.0, 4.0], ValueError, r"positive integers summing to 6"),
        (np.array([[2, 4]]), ValueError, r"positive integers summing to 6"),
        ("eeg", TypeError, r"modalities must be a mapping.*got str"),
        (2.5, TypeError, r"modalities must be a mapping.*got float"),
        (True, TypeError, r"modalities must be a mapping.*got bool"),
        ({1: [0]}, TypeError, r"Modality names must be str, got 1"),
        ({"a": []}, ValueError, r"'a' must map to a non-empty slice"),
        ({"a": slice(3, 3)}, ValueError, r"'a' must map to a non-empty slice"),
        ({"a": [0.0, 1.0]}, ValueError, r"'a' must map to a non-empty slice.*integer"),
        ({"a": 3}, ValueError, r"'a' must map to a non-empty slice"),
        ({"a": [[0, 1]]}, ValueError, r"'a' must map to a non-empty slice"),
        ({"a": np.zeros(6, dtype=bool)}, ValueError, r"'a' must map to a non-empty"),
        ({"a": [True, False]}, ValueError, r"Boolean mask of modality 'a' has shape \(2,\).*\(6\)"),
        ({"a": [0, 6]}, ValueError, r"Indices of modality 'a' fall outside axis 1.*6 entries"),
        ({"a": [-7]}, ValueError, r"Indices of modality 'a' fall outside axis 1"),
    ],
)
def test_bad_specs(spec, error, match):
    with pytest.raises(error, match=match):
        check_multimodal(np.zeros((N, 6, 3)), modalities=spec)


# --- signature at transform time -------------------------------------------------------------


def test_reference_accepts_same_signature_and_reorders(batch):
    ref = signature(check_multimodal(batch))
    shuffled = {"tabular": batch["tabular"], "eeg": batch["eeg"], "fnirs": batch["fnirs"]}
    data = check_multimodal(shuffled, reference=ref)
    assert list(data) == ["eeg", "fnirs", "tabular"]
    np.testing.assert_array_equal(data["tabular"], batch["tabular"])
    # trial count may differ from fit time (transform on new trials)
    data = check_multimodal({k: v[:3] for k, v in shuffled.items()}, reference=ref)
    assert n_trials(data) == 3


def test_reference_missing_modality(batch):
    ref = signature(batch)
    del batch["fnirs"]
    with pytest.raises(ValueError, match=r"differ from those seen in fit.*missing \['fnirs'\]"):
        check_multimodal(batch, reference=ref)


def test_reference_extra_modality(batch):
    ref = signature(batch)
    batch["ecg"] = np.zeros((N, 3))
    with pytest.raises(ValueError, match=r"missing \[\], unexpected \['ecg'\].*same modalities"):
        check_multimodal(batch, reference=ref)


@pytest.mark.parametrize(
    ("name", "new_shape"), [("eeg", (N, 4, 49)), ("fnirs", (N, 5, 10)), ("tabular", (N, 5, 1))]
)
def test_reference_different_trailing_shape(batch, name, new_shape):
    ref = signature(batch)
    batch[name] = np.zeros(new_shape)
    old = re.escape(str(ref[name]))
    with pytest.raises(ValueError, match=rf"{name!r} has trailing shape .* but {old} was seen"):
        check_multimodal(batch, reference=ref)


def test_check_signature_accepts_list_shapes(batch):
    ref = {k: list(v) for k, v in signature(batch).items()}
    check_signature(batch, ref)
    batch["eeg"] = batch["eeg"][:, :3]
    with pytest.raises(ValueError, match=r"'eeg' has trailing shape \(3, 50\)"):
        check_signature(batch, ref)
