"""Training plumbing shared by the self-supervised decomposers.

:class:`ContrastiveNet` is a :class:`skorch.NeuralNet` that feeds two augmented views of
every batch through its module and trains two parameter sets: the module's, with
``optimizer_``, and the criterion's critics (if it has any), with ``critic_optimizer_``.
Epochs, batching, validation, early stopping, device handling and the progress log are
skorch's. The plain functions below fit and apply the per-modality standardisation and
turn the estimator parameters into the pieces of the net.
"""

import copy
import math
from collections.abc import Mapping

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, PassthroughScoring
from skorch.dataset import Dataset, unpack_data
from skorch.utils import TeeGenerator, to_tensor

from .._multimodal import SIDE_KEY

__all__ = [
    "ContrastiveNet",
    "GroupBatchSampler",
    "NestedDataset",
    "apply_scaling",
    "batching_params",
    "check_callbacks",
    "check_groups",
    "check_optimizer",
    "fit_scaling",
    "resolve_device",
    "split_train_valid",
    "take",
    "term_callbacks",
]


# Largest |x - mean| whose square, summed over many samples, stays finite in float64.
_SQUARE_SAFE = 1e150
_SCALE_CHUNK = 1024  # trials standardised at a time
#: Growth of an output's or loss term's magnitude over its first step taken as divergence.
DIVERGENCE_FACTOR = 1e4
#: Standardised input beyond this magnitude points at outliers rather than the lr.
INPUT_OUTLIER = 100.0


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
        (``(1, channels, 1)`` or ``(1, features)``), float64: input beyond float32's range
        (about 3.4e38) keeps exact statistics, and values whose squares overflow float64
        are handled by scaling before the variance.
    """
    scaling = {}
    for name, x in data.items():
        axes = (0, 2) if x.ndim == 3 else (0,)
        mean = x.mean(axis=axes, keepdims=True, dtype=np.float64)
        peak = np.maximum(
            np.abs(x.max(axis=axes, keepdims=True) - mean),
            np.abs(x.min(axis=axes, keepdims=True) - mean),
        ).astype(np.float64)
        if np.any(peak > _SQUARE_SAFE):
            # (x - mean)^2 would overflow: take the spread of x / peak, then scale back
            unit = np.where(peak > 0, peak, 1.0)
            scale = (x / unit).std(axis=axes, keepdims=True, dtype=np.float64) * unit
        else:
            scale = x.std(axis=axes, keepdims=True, dtype=np.float64)
        # constant channels are left centred rather than divided by zero
        scale[scale <= np.finfo(np.float64).tiny * 1e10] = 1.0
        scaling[name] = (mean, scale)
    return scaling


def apply_scaling(data, scaling, start=0, stop=None, dtype=np.float32):
    """Standardise trials ``start:stop`` of each modality; ``dtype`` arrays for torch.

    Raises
    ------
    ValueError
        When a standardised value does not fit in ``dtype`` (input on a scale far from
        the data the scaling was fitted on).
    """
    out = {}
    for name, x in data.items():
        mean, scale = scaling[name]
        x = x[start:stop]
        res = np.empty(x.shape, dtype=dtype)
        # in chunks, so that the float64 intermediate stays small
        for lo in range(0, len(x), _SCALE_CHUNK):
            batch = (x[lo : lo + _SCALE_CHUNK] - mean) / scale
            with np.errstate(over="ignore"):
                res[lo : lo + _SCALE_CHUNK] = batch
            if not np.all(np.isfinite(res[lo : lo + _SCALE_CHUNK])):
                bad = ~np.isfinite(res[lo : lo + _SCALE_CHUNK].reshape(len(batch), -1)).all(1)
                raise ValueError(
                    f"Modality {name!r}: after standardisation with the statistics of the "
                    f"fit data, trials {(np.flatnonzero(bad) + start + lo)[:10].tolist()} "
                    f"hold values beyond the range of {np.dtype(dtype).name} (largest "
                    f"|value| {np.abs(batch).max():.3g} standard deviations). The input is "
                    "on a scale far from the fit data: check its units (volts vs "
                    "microvolts, mol/l vs umol/l) or refit on data like it."
                )
        out[name] = res
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


def check_groups(groups, n, train=None):
    """Validated group labels for ``n`` trials (None passes through).

    Parameters
    ----------
    groups : array-like of shape (n,) or None
    n : int
        Number of trials.
    train : ndarray of int or None, default=None
        Training trials (the others are held out for early stopping): every group must
        also keep 2 of them, since training batches are drawn within a group.

    Raises
    ------
    ValueError
        Wrong length, or a group with a single (training) trial (a batch needs two).
    """
    if groups is None:
        return None
    groups = np.asarray(groups)
    if groups.ndim != 1 or len(groups) != n:
        raise ValueError(
            f"groups must be one label per trial, shape ({n},); got shape {groups.shape}."
        )
    for subset, where in ((groups, ""), (None if train is None else groups[train], " left")):
        if subset is None:
            continue
        labels, counts = np.unique(subset, return_counts=True)
        if counts.min() < 2:
            extra = " after holding out trials for early stopping" if where else ""
            raise ValueError(
                f"groups {labels[counts < 2].tolist()} have a single trial{extra}; batches "
                "are drawn within a group and need 2 trials. Merge or drop those trials, "
                "or pass groups=None."
            )
    return groups


def take(data, idx):
    """Rows ``idx`` of every array of a (nested) dict of arrays; None stays None."""
    if data is None:
        return None
    if isinstance(data, Mapping):
        return {k: take(v, idx) for k, v in data.items()}
    return data[idx]


def _leaves(data):
    """The arrays (tensors) of a nested dict, depth first."""
    for value in data.values():
        if isinstance(value, Mapping):
            yield from _leaves(value)
        else:
            yield value


class NestedDataset(Dataset):
    """A skorch :class:`~skorch.dataset.Dataset` whose ``X`` may nest dicts of arrays.

    The batch of a deep decomposer holds the modalities and, under the reserved key
    :data:`skpid._multimodal.SIDE_KEY`, a dict of side inputs; skorch's own indexing
    does not descend into nested dicts.
    """

    def __init__(self, X, y=None, length=None):
        super().__init__(X, y=y, length=length)
        if isinstance(X, Mapping):
            self.X_indexing = take


def batching_params(groups, batch_size, seed):
    """Keyword arguments of the training iterator of :class:`ContrastiveNet`.

    Parameters
    ----------
    groups : ndarray of shape (n_train,) or None
        Group of every training trial; batches are then drawn within groups
        (:class:`GroupBatchSampler`).
    batch_size : int
    seed : int
        Seeds the shuffles.

    Returns
    -------
    params : dict
    """
    if groups is None:
        return {
            "iterator_train__shuffle": True,
            # a batch of one trial has no negatives; drop the short last batch
            "iterator_train__drop_last": True,
            "iterator_train__generator": torch.Generator().manual_seed(seed),
        }
    return {
        "iterator_train__batch_size": 1,  # the sampler makes the batches
        "iterator_train__batch_sampler": GroupBatchSampler(groups, batch_size, seed),
    }


def check_callbacks(callbacks):
    """Validate the ``callbacks`` parameter: a list of skorch callbacks or (name, callback).

    Returns
    -------
    callbacks : list
        Deep copies (a fit leaves the parameter's callbacks untouched).

    Raises
    ------
    TypeError
        Not a list or tuple, or an entry that is not a skorch callback.
    """
    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(
            f"callbacks must be a list of skorch callbacks (or (name, callback) pairs), got "
            f"{type(callbacks).__name__}."
        )
    out = []
    for item in callbacks:
        cb = item[1] if isinstance(item, tuple) and len(item) == 2 else item
        is_callback = isinstance(cb, Callback) or (
            isinstance(cb, type) and issubclass(cb, Callback)
        )
        if not is_callback or (isinstance(item, tuple) and not isinstance(item[0], str)):
            raise TypeError(
                f"callbacks entry {item!r} is not a skorch callback; pass instances of "
                "skorch.callbacks.Callback (e.g. LRScheduler, Checkpoint) or (name, callback) "
                "pairs."
            )
        out.append(copy.deepcopy(item))
    return out


def check_optimizer(optimizer):
    """The optimiser class: ``torch.optim.AdamW`` for None, else a torch optimiser class.

    Raises
    ------
    TypeError
        Anything but a subclass of :class:`torch.optim.Optimizer`.
    """
    if optimizer is None:
        return torch.optim.AdamW
    if not (isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer)):
        raise TypeError(
            f"optimizer must be a torch optimiser class such as torch.optim.SGD (not an "
            f"instance), got {optimizer!r}. Pass its settings as optimizer__<name>=value."
        )
    return optimizer


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


def _stack_twice(side):
    return {
        k: _stack_twice(v) if isinstance(v, Mapping) else torch.cat([v, v]) for k, v in side.items()
    }


class ContrastiveNet(NeuralNet):
    """Skorch net for two-view self-supervised objectives with jointly trained critics.

    Each training step draws two augmented views of the batch, runs the module once on
    both (stacked), then (1) when the criterion has parameters (critics), takes one step
    of ``critic_optimizer_`` on ``criterion_.critic_loss(out_a, out_b)`` and (2) takes one
    step of ``optimizer_`` (module parameters only) on ``criterion_(out_a, out_b, y)``.
    The criterion returns a dict of loss terms with the total under ``"loss"``; each term
    is written to the history as ``train_<term>`` / ``valid_<term>``. A non-finite loss
    stops training with a ``FloatingPointError`` that names the epoch and the value; so
    does divergence caught before that (an output or loss term grown
    ``DIVERGENCE_FACTOR`` times over its first step), naming the term and whether the
    input scale or the learning rate is the likely cause.

    Parameters
    ----------
    module, criterion
        As for :class:`skorch.NeuralNet`; the module is called as ``module(**X)`` on a
        dict of modality tensors (and, under :data:`skpid._multimodal.SIDE_KEY`, a dict
        of side inputs, the same for both views and never augmented), and returns a
        dict of tensors with the batch first.
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
        kwargs.setdefault("dataset", NestedDataset)
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
        if hasattr(self, "health_ref_"):
            del self.health_ref_
        self.train_generator_ = torch.Generator().manual_seed(int(self.seed))

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_begin(net, dataset_train, dataset_valid, **kwargs)
        # the same validation views every epoch, so that valid losses are comparable
        self.valid_generator_ = torch.Generator().manual_seed(int(self.seed) + 1)

    def _views(self, Xi, generator):
        Xi = to_tensor(Xi, device=self.device)
        side = Xi.pop(SIDE_KEY, None)
        view_a = self.augmenter(Xi, generator)
        view_b = self.augmenter(Xi, generator)
        n = len(next(iter(Xi.values())))
        inputs = {m: torch.cat([view_a[m], view_b[m]]) for m in Xi}
        if side:
            # side inputs are not augmented: the same for both views
            inputs[SIDE_KEY] = _stack_twice(side)
        out = self.infer(inputs)
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

    def _check_health(self, Xi, out_a, terms):
        """Stop a diverging fit before its loss turns NaN.

        Each step's largest |output| and each loss term's |value| are compared with those
        of the first step (floored at 1): growth by :data:`DIVERGENCE_FACTOR` means
        divergence, even while the loss looks flat (a contrastive loss of L2-normalised
        outputs stays bounded while the raw outputs explode).
        """
        with torch.no_grad():
            outputs = {k: float(v.detach().abs().max()) for k, v in out_a.items() if v.numel()}
            values = {k: abs(v.item()) for k, v in terms.items() if v.numel() == 1}
        if not outputs and not values:
            return
        if not hasattr(self, "health_ref_"):
            self.health_ref_ = {k: max(v, 1.0) for k, v in (outputs | values).items()}
            return
        ratios = {
            k: v / self.health_ref_.get(k, 1.0)
            for k, v in (outputs | values).items()
            if math.isfinite(v)
        }
        worst = max(ratios, key=ratios.get, default=None)
        if worst is None or ratios[worst] < DIVERGENCE_FACTOR:
            return
        kind = "loss term" if worst in values else "output"
        value = (outputs | values)[worst]
        inputs = max((float(x.detach().abs().max()) for x in _leaves(Xi) if x.numel()), default=0.0)
        if inputs > INPUT_OUTLIER:
            cause = (
                f"The likely cause is the input scale: the standardised batch reaches "
                f"|x| = {inputs:.3g} (outlier trials far from the rest); remove or clip "
                "them."
            )
        else:
            cause = (
                f"The likely cause is the learning rate (lr={self.lr}; the standardised input "
                f"stays within |x| <= {inputs:.3g}): lower it 10 to 100 times."
            )
        raise FloatingPointError(
            f"Training is diverging at epoch {len(self.history)}: {kind} {worst!r} reached "
            f"{value:.3g}, {ratios[worst]:.3g} times its first-step magnitude (at least 1). "
            f"{cause}"
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
        self._check_health(to_tensor(Xi, device=self.device), out_a, terms)
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
