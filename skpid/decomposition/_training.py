"""Training plumbing shared by the self-supervised decomposers.

:class:`ContrastiveNet` is a :class:`skorch.NeuralNet` that feeds two augmented views of
every batch through its module and trains two parameter sets: the module's, with
``optimizer_``, and the criterion's critics (if it has any), with ``critic_optimizer_``.
Epochs, batching, validation, early stopping, device handling and the progress log are
skorch's. The plain functions below fit and apply the per-modality standardisation and
turn the estimator parameters into the pieces of the net.
"""

import math

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import PassthroughScoring
from skorch.dataset import unpack_data
from skorch.utils import TeeGenerator, to_tensor

__all__ = [
    "ContrastiveNet",
    "apply_scaling",
    "fit_scaling",
    "resolve_device",
    "split_train_valid",
    "term_callbacks",
]


def fit_scaling(data):
    """Per-modality standardisation: mean and standard deviation per channel/feature.

    Time series ``(n, channels, times)`` are scaled per channel over trials and time,
    tabular data ``(n, features)`` per feature over trials. EEG in volts (~1e-5) and fNIRS
    in mol/l (~1e-6) thus reach unit scale inside the estimator.

    Parameters
    ----------
    data : dict of str to ndarray

    Returns
    -------
    scaling : dict of str to (ndarray, ndarray)
        ``(mean, scale)`` per modality, shaped to broadcast against one batch
        (``(1, channels, 1)`` or ``(1, features)``), float64.
    """
    scaling = {}
    for name, x in data.items():
        axes = (0, 2) if x.ndim == 3 else (0,)
        mean = x.mean(axis=axes, keepdims=True, dtype=np.float64)
        scale = x.std(axis=axes, keepdims=True, dtype=np.float64)
        # constant channels are left centred rather than divided by zero
        scale[scale <= np.finfo(np.float64).tiny * 1e10] = 1.0
        # float32 (the network's dtype) so that scaling a batch makes no float64 copy
        scaling[name] = (mean.astype(np.float32), scale.astype(np.float32))
    return scaling


def apply_scaling(data, scaling, start=0, stop=None, dtype=np.float32):
    """Standardise trials ``start:stop`` of each modality; ``dtype`` arrays for torch."""
    out = {}
    for name, x in data.items():
        mean, scale = scaling[name]
        out[name] = ((x[start:stop] - mean) / scale).astype(dtype, copy=False)
    return out


def resolve_device(device):
    """Turn ``"auto"`` into ``"cuda"`` when available, else ``"cpu"``; check the rest."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'cpu', 'cuda', 'cuda:0' or 'auto'."
        ) from exc
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but CUDA is not available to torch here. Use device='cpu' "
            "or device='auto' (CUDA when available)."
        )
    return device


def split_train_valid(n, validation_fraction, seed):
    """Shuffled trial indices ``(train, valid)``; ``valid`` is None without validation.

    At least 2 trials are held out (a contrastive batch needs 2) and 2 kept for training.
    """
    order = np.random.RandomState(seed).permutation(n)
    if not validation_fraction:
        return order, None
    n_valid = max(2, round(validation_fraction * n))
    if n - n_valid < 2:
        raise ValueError(
            f"Got {n} trials: too few to hold out {n_valid} for early stopping "
            f"(validation_fraction={validation_fraction}) and still train on 2. Pass more "
            "trials or set validation_fraction=None."
        )
    return np.sort(order[n_valid:]), np.sort(order[:n_valid])


class GroupBatchSampler:
    """Batches drawn from one group (subject) at a time, reshuffled every epoch.

    Each group's trials are shuffled and cut into ``ceil(n_group / batch_size)`` batches
    of near-equal size (so no group leaves a batch of one trial); the batches of all
    groups are then shuffled. Every contrastive negative is a trial of the same subject,
    so telling the subjects apart cannot lower the loss: without it, the features that
    identify a subject (head size, montage, gains), shared by all of its modalities,
    dominate what cross-modal objectives align (as in subject-aware contrastive learning
    of biosignals [1]_).

    Parameters
    ----------
    groups : array-like of shape (n_trials,)
        Group label of every trial.
    batch_size : int
        Largest batch.
    seed : int
        Seeds the shuffles; the sequence of epochs is reproducible.

    References
    ----------
    .. [1] Cheng et al., "Subject-aware contrastive learning for biosignals",
       arXiv:2007.04871, 2020.
    """

    def __init__(self, groups, batch_size, seed=0):
        _, codes, counts = np.unique(np.asarray(groups), return_inverse=True, return_counts=True)
        self.members = [np.flatnonzero(codes == k) for k in range(len(counts))]
        self.batch_size = batch_size
        self.rng = np.random.RandomState(seed)

    def _batches(self):
        batches = []
        for members in self.members:
            n_batches = -(-len(members) // self.batch_size)
            batches += np.array_split(self.rng.permutation(members), n_batches)
        return [batches[i].tolist() for i in self.rng.permutation(len(batches))]

    def __iter__(self):
        return iter(self._batches())

    def __len__(self):
        return sum(-(-len(m) // self.batch_size) for m in self.members)


def check_groups(groups, n):
    """Validated group labels for ``n`` trials (None passes through).

    Raises
    ------
    ValueError
        Wrong length, or a group with a single trial (a batch needs two).
    """
    if groups is None:
        return None
    groups = np.asarray(groups)
    if groups.ndim != 1 or len(groups) != n:
        raise ValueError(
            f"groups must be one label per trial, shape ({n},); got shape {groups.shape}."
        )
    labels, counts = np.unique(groups, return_counts=True)
    if counts.min() < 2:
        raise ValueError(
            f"groups {labels[counts < 2].tolist()} have a single trial; batches are drawn "
            "within a group and need 2 trials. Merge or drop those trials, or pass "
            "groups=None."
        )
    return groups


def term_callbacks(terms, validation, train_only=("critic",)):
    """Skorch callbacks that average each loss term per epoch (shown by PrintLog)."""
    callbacks = [
        (f"train_{t}", PassthroughScoring(name=f"train_{t}", on_train=True)) for t in train_only
    ]
    for term in terms:
        callbacks.append((f"train_{term}", PassthroughScoring(name=f"train_{term}", on_train=True)))
        if validation:
            callbacks.append((f"valid_{term}", PassthroughScoring(name=f"valid_{term}")))
    return callbacks


class ContrastiveNet(NeuralNet):
    """Skorch net for two-view self-supervised objectives with jointly trained critics.

    Each training step draws two augmented views of the batch, runs the module once on
    both (stacked), then (1) when the criterion has parameters (critics), takes one step
    of ``critic_optimizer_`` on ``criterion_.critic_loss(out_a, out_b)`` and (2) takes one
    step of ``optimizer_`` (module parameters only) on ``criterion_(out_a, out_b, y)``.
    The criterion returns a dict of loss terms with the total under ``"loss"``; each term
    is written to the history as ``train_<term>`` / ``valid_<term>``. A non-finite loss
    stops training with a ``FloatingPointError`` that names the epoch and the value.

    Parameters
    ----------
    module, criterion
        As for :class:`skorch.NeuralNet`; the module is called as ``module(**X)`` on a
        dict of modality tensors, and returns a dict of tensors with the batch first.
    augmenter : callable
        ``augmenter(batch_dict, generator) -> batch_dict`` (e.g.
        :class:`skpid.augment.Augmenter`).
    seed : int, default=0
        Seeds the augmentation generators (training and validation views).
    terms : list of str
        Names of the criterion's terms to record.
    critic_lr : float or None, default=None
        Learning rate of the critics (``lr`` when None).
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    def __init__(
        self, module, criterion, *args, augmenter=None, seed=0, terms=(), critic_lr=None, **kwargs
    ):
        super().__init__(module, criterion, *args, **kwargs)
        self.critic_lr = critic_lr
        self.augmenter = augmenter
        self.seed = seed
        self.terms = terms

    def initialize_optimizer(self, triggered_directly=None):
        args, kwargs = self.get_params_for_optimizer("optimizer", self.module_.named_parameters())
        self.optimizer_ = self.optimizer(*args, **kwargs)
        critic_params = list(self.criterion_.named_parameters())
        if critic_params:
            args, kwargs = self.get_params_for_optimizer("critic_optimizer", critic_params)
            kwargs["lr"] = self.critic_lr if self.critic_lr is not None else self.lr
            self.critic_optimizer_ = self.optimizer(*args, **kwargs)
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self.train_generator_ = torch.Generator().manual_seed(int(self.seed))

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_begin(net, dataset_train, dataset_valid, **kwargs)
        # the same validation views every epoch, so that valid losses are comparable
        self.valid_generator_ = torch.Generator().manual_seed(int(self.seed) + 1)

    def _views(self, Xi, generator):
        Xi = to_tensor(Xi, device=self.device)
        view_a = self.augmenter(Xi, generator)
        view_b = self.augmenter(Xi, generator)
        n = len(next(iter(Xi.values())))
        out = self.infer({m: torch.cat([view_a[m], view_b[m]]) for m in Xi})
        return {k: v[:n] for k, v in out.items()}, {k: v[n:] for k, v in out.items()}

    def _target(self, yi):
        # without y, skorch yields a placeholder that no term reads
        return None if yi is None else to_tensor(yi, device=self.device)

    def _record(self, prefix, terms):
        for name in self.terms:
            if name in terms:
                self.history.record_batch(f"{prefix}_{name}", terms[name].item())

    def _check_finite(self, loss, prefix):
        value = loss.item()
        if not math.isfinite(value):
            epoch = len(self.history)
            raise FloatingPointError(
                f"Training diverged at epoch {epoch} ({prefix}): the loss is {value}. Lower "
                f"the learning rate (lr={self.lr}), check the input for extreme values, or "
                "raise the temperature."
            )

    def train_step(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        out_a, out_b = self._views(Xi, self.train_generator_)
        if hasattr(self, "critic_optimizer_"):
            self.critic_optimizer_.zero_grad()
            critic_loss = self.criterion_.critic_loss(out_a, out_b)
            critic_loss.backward()
            self.critic_optimizer_.step()
            self.history.record_batch("train_critic", -critic_loss.item())
        self.optimizer_.zero_grad()
        terms = self.criterion_(out_a, out_b, self._target(yi))
        loss = terms["loss"]
        self._check_finite(loss, "train")
        loss.backward()
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.module_.named_parameters()),
            batch=batch,
            training=True,
        )
        self.optimizer_.step()
        self._record("train", terms)
        return {"loss": loss.detach(), "y_pred": out_a}

    def validation_step(self, batch, **fit_params):
        self._set_training(False)
        Xi, yi = unpack_data(batch)
        with torch.no_grad():
            out_a, out_b = self._views(Xi, self.valid_generator_)
            terms = self.criterion_(out_a, out_b, self._target(yi))
        self._check_finite(terms["loss"], "validation")
        self._record("valid", terms)
        return {"loss": terms["loss"], "y_pred": out_a}
