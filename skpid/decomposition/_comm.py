"""CoMM: one fused multimodal representation trained by contrastive modality masking."""

from numbers import Integral, Real
from typing import ClassVar

import torch
from sklearn.utils._param_validation import Interval
from torch import nn

from .._multimodal import signature
from ..losses import info_nce
from ..nn import TokenFusion, make_encoder, modality_kind
from ._base import COMMON_CONSTRAINTS, DeepDecomposer

__all__ = ["CoMM", "CoMMNetwork", "CoMMObjective"]


def _mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.GELU())
    return nn.Sequential(*layers)


class CoMMNetwork(nn.Module):
    """Per-modality encoders, a token fusion transformer with CLS, a projection head.

    Encoders (chosen from each modality's trailing shape) turn every modality into
    tokens; :class:`skpid.nn.TokenFusion` attends over the tokens of all modalities and
    returns the CLS token, which a linear map turns into the representation ``Z``. A
    3-layer MLP projection head ``g`` (as SimCLR's, used by CoMM for its critics) maps
    ``Z`` into the space where the InfoNCE terms are computed. For each modality ``m``,
    the same network is also run with the tokens of every other modality replaced by a
    learned ``[MSK]`` token, giving ``P_<m>``, CoMM's ``Z_i`` [1]_.

    Parameters
    ----------
    shapes : dict of str to tuple
        Trailing shape of each modality, ``(channels, times)`` or ``(features,)``.
    n_components : int
        Size of the representation ``Z``.
    d_model : int, default=64
        Token size and hidden width.
    n_tokens : int, default=8
        Tokens per time-series modality (half as many for tabular ones).
    n_fusion_layers : int, default=1
        Transformer layers.
    projection_size : int, default=64
        Output size of the projection head.

    Shapes
    ------
    ``forward(**X)`` takes ``X[m]`` of shape ``(batch, *shapes[m])`` and returns a dict:
    ``Z`` ``(batch, n_components)``, ``P`` and ``P_<m>`` ``(batch, projection_size)``.
    ``embed(**X)`` returns ``Z`` alone, without the masked passes.

    References
    ----------
    .. [1] Dufumier et al., "What to align in multimodal contrastive learning?", ICLR 2025.
    """

    def __init__(
        self, shapes, n_components, d_model=64, n_tokens=8, n_fusion_layers=1, projection_size=64
    ):
        super().__init__()
        self.modalities = list(shapes)
        self.encoders = nn.ModuleList()
        self.n_tok = []
        for name, shape in shapes.items():
            kind = modality_kind(name, shape)
            encoder = make_encoder(shape, d_model=d_model, n_tokens=n_tokens, kind=kind)
            with torch.no_grad():
                self.n_tok.append(encoder(torch.zeros(2, *shape)).shape[1])
            self.encoders.append(encoder)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, d_model))
        self.fusion = TokenFusion(self.n_tok, d_model, n_layers=n_fusion_layers)
        self.representation = nn.Linear(d_model, n_components)
        self.projection = _mlp([n_components, d_model, d_model, projection_size])

    def _tokens(self, X):
        return [enc(X[m]) for enc, m in zip(self.encoders, self.modalities, strict=True)]

    def embed(self, **X):
        return self.representation(self.fusion(self._tokens(X)))

    def forward(self, **X):
        tokens = self._tokens(X)
        batch = tokens[0].shape[0]
        passes = [tokens]
        for keep in range(len(tokens)):
            passes.append(
                [
                    tok if i == keep else self.mask_token.expand(batch, self.n_tok[i], -1)
                    for i, tok in enumerate(tokens)
                ]
            )
        # all (M + 1) passes through the fusion as one batch
        stacked = [torch.cat([p[i] for p in passes]) for i in range(len(tokens))]
        Z = self.representation(self.fusion(stacked))
        P = self.projection(Z).split(batch)
        out = {"Z": Z[:batch], "P": P[0]}
        for i, m in enumerate(self.modalities):
            out[f"P_{m}"] = P[i + 1]
        return out


class CoMMObjective(nn.Module):
    """CoMM's loss: ``L = L_fused + sum_m L_m`` (Algorithm 1 of [1]_).

    With two augmented views ``a`` and ``b`` of a batch, ``L_fused`` is the InfoNCE
    loss between the projected fused views ``P(a)`` and ``P(b)``, and ``L_m`` is
    ``(InfoNCE(P_m(a), P(b)) + InfoNCE(P_m(b), P(a))) / 2``: the representation with only
    modality ``m`` visible against the full representation of the *other* view. The
    InfoNCE is one-directional on cosine similarity divided by the temperature, as in the
    paper's Eq. (6).

    Parameters
    ----------
    modalities : list of str
    temperature : float, default=0.1

    References
    ----------
    .. [1] Dufumier et al., "What to align in multimodal contrastive learning?", ICLR 2025.
    """

    def __init__(self, modalities, temperature=0.1):
        super().__init__()
        self.modalities = list(modalities)
        self.temperature = temperature

    def forward(self, out_a, out_b, y=None):
        """Return a dict of the loss terms and their sum under ``"loss"``."""
        tau = self.temperature
        terms = {"fused": info_nce(out_a["P"], out_b["P"], tau, symmetric=False)}
        for m in self.modalities:
            terms[f"masked_{m}"] = 0.5 * (
                info_nce(out_a[f"P_{m}"], out_b["P"], tau, symmetric=False)
                + info_nce(out_b[f"P_{m}"], out_a["P"], tau, symmetric=False)
            )
        terms["loss"] = sum(terms.values())
        return terms


class CoMM(DeepDecomposer):
    """CoMM: a fused multimodal representation learned by contrastive modality masking.

    Implements CoMM (Dufumier et al., ICLR 2025) [1]_ as a scikit-learn transformer for
    any number ``M >= 2`` of modalities. Each modality is encoded into tokens (a compact
    temporal CNN for time series, an MLP for tabular features; CoMM uses one encoder per
    modality followed by a linear "latent converter"), a transformer fuses the tokens of
    all modalities through a CLS token into one representation ``Z``, and a projection
    head maps ``Z`` to the space of the contrastive terms (:class:`CoMMNetwork`). Training
    maximises ``M + 1`` InfoNCE terms (:class:`CoMMObjective`): one between two augmented
    views of the fused representation, which by the paper's Lemma 2 targets
    ``R + sum U + S`` when augmentations keep the task information, and one per modality
    between the representation computed with every other modality masked and the full
    augmented one, which targets ``R + U_m`` (Lemma 3). Redundant, unique and synergistic
    information all end up *in* ``Z``; CoMM does not separate them (use
    :class:`~skpid.decomposition.PIDDecomposer` for explicit blocks).

    Defaults and deviations from the paper [1]_:

    - ``temperature=0.1``: the paper's value.
    - AdamW with ``lr=1e-3``, ``weight_decay=1e-2``: the paper's setting for its
      time-series + tabular data (MIMIC, Appendix B); it uses ``3e-4``/``1e-4`` on
      Trifeature.
    - ``max_epochs=30`` instead of the paper's 100, and ``hidden_size=64`` tokens with a
      projection head of width 64 (64-d output) instead of 512-d hidden / 256-d output:
      smaller networks that train on CPU.
    - The masked passes ``Z_m`` reuse the two training views (``Z_m`` of view ``a`` is
      contrasted with the full view ``b`` and vice versa) instead of drawing a third
      augmentation per modality; a masked modality is replaced by a learned ``[MSK]``
      token per position, as the paper's ``([MSK], ..., X_i, ..., [MSK])``.
    - Augmentations: :func:`skpid.augment.default_augmentations` (noise, time masking and
      physiologically motivated transforms for EEG/fNIRS); the paper uses Gaussian noise
      and random dropping of time steps for time series.

    Parameters
    ----------
    n_components : int, default=64
        Size of the fused representation ``Z`` returned by ``transform``.
    modalities : dict, list of int, int or None, default=None
        Only used when ``X`` is a single array ``(n, features)`` or ``(n, channels,
        times)``: how axis 1 is split into modalities (see
        :func:`skpid._multimodal.check_multimodal`); None splits it into two halves
        ``m0`` and ``m1``.
    hidden_size : int, default=64
        Token size and width of the networks (a multiple of 4, the attention heads).
    n_tokens : int, default=8
        Time tokens per time-series modality (half as many for tabular ones).
    n_fusion_layers : int, default=1
        Transformer layers of the fusion.
    projection_size : int, default=64
        Output size of the projection head.
    temperature : float, default=0.1
        InfoNCE temperature (the paper's value).
    augmentations : dict or None, default=None
        Modality name to a list of augmentations (see
        :class:`skpid.augment.Augmenter`); modalities left out get
        :func:`skpid.augment.default_augmentations`.
    max_epochs : int, default=30
    batch_size : int or "auto", default="auto"
        ``"auto"`` uses ``min(128, n_train)`` (32 when ``fit`` gets ``groups``).
    lr : float, default=1e-3
    weight_decay : float, default=1e-2
    validation_fraction : float or None, default=None
        Fraction of trials held out for early stopping on the validation loss; None
        trains on all trials for ``max_epochs``.
    n_iter_no_change : int, default=10
        Patience of early stopping.
    device : str, default="cpu"
        Torch device, or ``"auto"`` for CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, batching, augmentation and the validation split; the same
        value gives the same output on CPU.
    verbose : int, default=0
        1 prints the per-epoch losses, 2 adds a progress bar.

    Attributes
    ----------
    net_ : skpid.decomposition._training.ContrastiveNet
        The trained skorch net (``net_.history`` holds every loss term per epoch).
    modalities_ : list of str
    signature_ : dict of str to tuple
        Trailing shape of each modality seen in fit.
    scaling_ : dict of str to (ndarray, ndarray)
        Fitted per-modality standardisation.
    component_slices_ : dict of str to slice
        ``{"CoMM": slice(0, n_components)}``.
    n_epochs_ : int
        Epochs run.
    n_features_in_ : int
        Only when fitted on a single array.

    References
    ----------
    .. [1] Dufumier, Castillo-Navetty, Spiess, Schölkopf and Grinsztajn, "What to align in
       multimodal contrastive learning?", ICLR 2025.

    Examples
    --------
    >>> from skorch.helper import SliceDict
    >>> X = SliceDict(eeg=eeg_epochs, fnirs=fnirs_epochs)  # doctest: +SKIP
    >>> Z = CoMM(n_components=32, random_state=0).fit_transform(X)  # doctest: +SKIP
    """

    _parameter_constraints: ClassVar[dict] = {
        **COMMON_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "n_fusion_layers": [Interval(Integral, 1, None, closed="left")],
        "projection_size": [Interval(Integral, 1, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
    }
    _attention = True
    _embed_float64 = True

    def __init__(
        self,
        n_components=64,
        *,
        modalities=None,
        hidden_size=64,
        n_tokens=8,
        n_fusion_layers=1,
        projection_size=64,
        temperature=0.1,
        augmentations=None,
        max_epochs=30,
        batch_size="auto",
        lr=1e-3,
        weight_decay=1e-2,
        validation_fraction=None,
        n_iter_no_change=10,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.modalities = modalities
        self.hidden_size = hidden_size
        self.n_tokens = n_tokens
        self.n_fusion_layers = n_fusion_layers
        self.projection_size = projection_size
        self.temperature = temperature
        self.augmentations = augmentations
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _fitted_blocks(self):
        return {"CoMM": int(self.n_components)}

    def _net_params(self, data, y, weights):
        modalities = list(data)
        params = {
            "module": CoMMNetwork,
            "module__shapes": signature(data),
            "module__n_components": int(self.n_components),
            "module__d_model": self.hidden_size,
            "module__n_tokens": self.n_tokens,
            "module__n_fusion_layers": self.n_fusion_layers,
            "module__projection_size": self.projection_size,
            "criterion": CoMMObjective,
            "criterion__modalities": modalities,
            "criterion__temperature": self.temperature,
            "optimizer__weight_decay": self.weight_decay,
        }
        return params, ["fused", *(f"masked_{m}" for m in modalities)], None

    def _embed_batch(self, module, batch):
        return module.embed(**batch)
