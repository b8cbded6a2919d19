"""The deep decomposers open to skorch and braindecode users: callbacks, optimiser and its
settings, user encoders (a torch module, a braindecode model class), braindecode
augmentations; the modality kind from channel types; the reserved side-input key."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from skorch.callbacks import Checkpoint, LRScheduler
from skorch.helper import SliceDict
from torch import nn

from skpid._multimodal import SIDE_KEY, check_multimodal, modality_kind
from skpid.augment import BraindecodeTransform
from skpid.decomposition import HCL, CoMM, FactorCL, PIDDecomposer
from skpid.nn import ExternalEncoder, FilterBankEncoder

TINY = {"n_components": 2, "hidden_size": 8, "n_tokens": 2, "max_epochs": 2, "random_state": 0}
DECOMPOSERS = [PIDDecomposer, CoMM, FactorCL, HCL]
ids = [cls.__name__ for cls in DECOMPOSERS]


def _data(n=24, seed=0, names=("eeg", "fnirs")):
    rng = np.random.RandomState(seed)
    r = rng.randint(0, 2, n)
    return SliceDict(
        **{
            names[0]: (1e-5 * (rng.randn(n, 3, 100) + 2 * r[:, None, None])).astype(np.float32),
            names[1]: (1e-6 * (rng.randn(n, 2, 10) - r[:, None, None])).astype(np.float32),
        }
    )


def _braindecode(module):
    """Import a braindecode module, or skip (not installed, or a broken torchaudio)."""
    try:
        return pytest.importorskip(module)
    except OSError as exc:  # e.g. a torchaudio build that does not match torch
        pytest.skip(f"braindecode cannot be imported here: {exc}")


# ------------------------------------------------------------------ callbacks


@pytest.mark.parametrize("cls", DECOMPOSERS, ids=ids)
def test_lr_scheduler_callback_is_added_to_the_defaults(cls):
    scheduler = LRScheduler(policy=torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    dec = cls(**TINY, lr=1e-3, callbacks=[("halve", scheduler)]).fit(_data())
    names = [name for name, _ in dec.net_.callbacks_]
    assert "halve" in names and "clip" in names  # added to, not replacing, the defaults
    # stepped after each of the 2 epochs
    assert dec.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.25)
    # the parameter's callback is left untouched (the fit used a copy)
    assert dec.callbacks[0][1] is scheduler and not hasattr(scheduler, "lr_scheduler_")


def test_checkpoint_callback_writes_the_network(tmp_path):
    checkpoint = Checkpoint(
        monitor=None, dirname=str(tmp_path), f_optimizer=None, f_criterion=None, f_history=None
    )
    dec = PIDDecomposer(**TINY, callbacks=[checkpoint]).fit(_data())
    saved = torch.load(tmp_path / "params.pt", weights_only=True)
    state = dec.net_.module_.state_dict()
    assert saved.keys() == state.keys()
    for key, value in state.items():  # monitor=None saves every epoch: the last one
        torch.testing.assert_close(saved[key], value)


def test_callbacks_are_checked_at_fit():
    with pytest.raises(TypeError, match="not a skorch callback"):
        PIDDecomposer(**TINY, callbacks=[lambda net: None]).fit(_data())


# ------------------------------------------------------------------ optimiser


@pytest.mark.parametrize("cls", DECOMPOSERS, ids=ids)
def test_optimizer_and_its_settings_are_routed(cls):
    dec = cls(**TINY, optimizer=torch.optim.SGD, optimizer__momentum=0.9).fit(_data())
    assert isinstance(dec.net_.optimizer_, torch.optim.SGD)
    assert dec.net_.optimizer_.param_groups[0]["momentum"] == 0.9
    if hasattr(dec.net_, "critic_optimizer_"):  # the critics use the same optimiser
        assert isinstance(dec.net_.critic_optimizer_, torch.optim.SGD)
    params = dec.get_params()
    assert params["optimizer__momentum"] == 0.9 and params["optimizer"] is torch.optim.SGD
    copy = clone(dec)
    assert copy.get_params()["optimizer__momentum"] == 0.9
    copy.set_params(optimizer__momentum=0.5)
    assert copy.fit(_data()).net_.optimizer_.param_groups[0]["momentum"] == 0.5


def test_default_optimizer_is_adamw_and_settings_override_weight_decay():
    assert isinstance(CoMM(**TINY).fit(_data()).net_.optimizer_, torch.optim.AdamW)
    dec = CoMM(**TINY, weight_decay=0.01, optimizer__weight_decay=0.5).fit(_data())
    assert dec.net_.optimizer_.param_groups[0]["weight_decay"] == 0.5


def test_bad_optimizer_or_setting_is_refused_at_fit():
    with pytest.raises(TypeError, match="torch optimiser class"):
        PIDDecomposer(**TINY, optimizer=torch.optim.SGD([torch.zeros(1)], lr=0.1)).fit(_data())
    dec = PIDDecomposer(**TINY, optimiser__momentum=0.9)  # a typo: stored, refused at fit
    with pytest.raises(TypeError, match=r"unexpected parameters \['optimiser__momentum'\]"):
        dec.fit(_data())


# ------------------------------------------------------------------ encoders


class _Flat(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)

    def forward(self, x):
        return self.linear(x.flatten(1))


@pytest.mark.parametrize("cls", DECOMPOSERS, ids=ids)
def test_a_torch_module_replaces_the_builtin_encoder(cls):
    torch.manual_seed(0)
    module = _Flat(2 * 10, 5)
    before = {k: v.clone() for k, v in module.state_dict().items()}
    dec = cls(**TINY, encoders={"fnirs": module}).fit(_data())
    wrapped = [m for m in dec.net_.module_.modules() if isinstance(m, ExternalEncoder)]
    # PIDDecomposer: the redundancy path's, the unique path's copy, the frozen target's
    assert len(wrapped) == (3 if cls is PIDDecomposer else 1)
    assert all(w.summary_size == 5 and w.module is not module for w in wrapped)
    for key, value in module.state_dict().items():
        torch.testing.assert_close(value, before[key])
    Z = dec.transform(_data(seed=1))
    assert np.all(np.isfinite(Z))
    again = cls(**TINY, encoders={"fnirs": module}).fit(_data())
    np.testing.assert_array_equal(again.transform(_data(seed=1)), Z)


def test_encoders_are_checked():
    with pytest.raises(ValueError, match="encoders names modality 'emg'"):
        PIDDecomposer(**TINY, encoders={"emg": _Flat(3, 2)}).fit(_data())
    with pytest.raises(TypeError, match=r"encoders\['eeg'\] must be a torch.nn.Module"):
        PIDDecomposer(**TINY, encoders={"eeg": "shallow"}).fit(_data())
    with pytest.raises(ValueError, match="must map"):
        PIDDecomposer(**TINY, encoders={"eeg": _Flat(7, 2)}).fit(_data())


@pytest.mark.parametrize("cls", DECOMPOSERS, ids=ids)
def test_braindecode_shallow_fbcsp_as_the_eeg_encoder(cls):
    models = _braindecode("braindecode.models")
    kwargs = {
        "n_filters_time": 4,
        "n_filters_spat": 4,
        "filter_time_length": 5,
        "pool_time_length": 10,
        "pool_time_stride": 5,
    }
    spec = (models.ShallowFBCSPNet, kwargs)
    dec = cls(**TINY, encoders={"eeg": spec}).fit(_data())
    shallow = [m for m in dec.net_.module_.modules() if isinstance(m, models.ShallowFBCSPNet)]
    assert len(shallow) == (3 if cls is PIDDecomposer else 1)  # see above
    assert all(m.n_outputs == TINY["hidden_size"] for m in shallow)
    assert not any(isinstance(m, FilterBankEncoder) for m in dec.net_.module_.modules())
    Z = dec.transform(_data(seed=1))
    # built at each fit under the seed: the same seed gives the same components
    again = cls(**TINY, encoders={"eeg": spec}).fit(_data())
    np.testing.assert_array_equal(again.transform(_data(seed=1)), Z)


def test_braindecode_transforms_as_augmentations():
    augmentation = _braindecode("braindecode.augmentation")
    flip = augmentation.SignFlip(probability=1.0, random_state=0)
    dec = PIDDecomposer(**TINY, augmentations={"eeg": [flip]}).fit(_data())
    (step,) = dec.net_.augmenter.pipelines["eeg"]
    assert isinstance(step, BraindecodeTransform)
    x = torch.randn(4, 3, 100)
    torch.testing.assert_close(step(x, generator=torch.Generator()), -x)


# ------------------------------------------------------------------ modality kind


def test_channel_types_decide_the_kind_before_the_name():
    assert modality_kind("m0", (4, 50), ["hbo", "hbr", "hbo", "hbr"]) == "nirs"
    assert modality_kind("eeg", (3, 50), ["hbo", "hbr", "hbo"]) == "nirs"
    assert modality_kind("nirs", (2, 50), ["eeg", "eeg"]) == "eeg"
    assert modality_kind("eeg", (2, 50), ["eeg", "mag"]) is None  # mixed
    assert modality_kind("fnirs", (3, 50)) == "nirs"  # odd channel count, by name
    X = _data(names=("a", "b"))
    dec = PIDDecomposer(**TINY, ch_types={"a": "eeg", "b": ["hbo", "hbr"]}).fit(X)
    assert dec.modality_kinds_ == {"a": "eeg", "b": "nirs"}
    assert isinstance(dec.net_.module_.encoders[0].encoder, FilterBankEncoder)
    names = [getattr(f, "func", f).__name__ for f in dec.net_.augmenter.pipelines["b"]]
    assert names[0] == "hrf_jitter"  # fNIRS defaults, chosen by channel type
    plain = PIDDecomposer(**TINY).fit(X)
    assert plain.modality_kinds_ == {"a": None, "b": None}
    with pytest.raises(ValueError, match=r"ch_types\['b'\] must give one mne channel type"):
        PIDDecomposer(**TINY, ch_types={"b": ["hbo"]}).fit(X)


# ------------------------------------------------------------------ side inputs


def test_the_side_key_cannot_name_a_modality():
    arrays = {"eeg": np.zeros((4, 2, 10)), SIDE_KEY: np.zeros((4, 2, 10))}
    with pytest.raises(ValueError, match="reserved"):
        check_multimodal(arrays)
    with pytest.raises(ValueError, match="reserved"):
        check_multimodal(np.zeros((4, 4)), modalities={"eeg": [0, 1], SIDE_KEY: [2, 3]})


def test_priors_find_their_modality_by_channel_type():
    rng = np.random.RandomState(0)
    X = {"a": 1e-5 * rng.randn(16, 3, 300), "b": 1e-6 * rng.randn(16, 2, 60)}
    params = {**TINY, "priors": "band_power", "sfreq": {"a": 100.0}}
    with pytest.raises(ValueError, match="no modality"):
        PIDDecomposer(**params).fit(X)
    dec = PIDDecomposer(**params, ch_types={"a": "eeg"}).fit(X)
    assert dec.priors_["band_power"].modalities == {"eeg": "a"}
    assert set(dec.net_.module_.targets) == {"a"}


# ------------------------------------------------------------------ groups


def test_groups_are_checked_once_over_all_and_training_trials():
    from skpid.decomposition._training import check_groups

    groups = np.array([0, 0, 1, 1, 1, 2, 2])
    np.testing.assert_array_equal(check_groups(list(groups), 7), groups)
    assert check_groups(None, 7) is None
    with pytest.raises(ValueError, match="one label per trial"):
        check_groups(groups, 8)
    with pytest.raises(ValueError, match=r"groups \[2\] have a single trial;"):
        check_groups(np.array([0, 0, 1, 1, 2]), 5)
    # group 0 keeps a single trial once trial 1 is held out for early stopping
    with pytest.raises(ValueError, match=r"groups \[0\] have a single trial after holding"):
        check_groups(groups, 7, train=np.array([0, 2, 3, 4, 5, 6]))
    check_groups(groups, 7, train=np.array([0, 1, 2, 3, 5, 6]))
