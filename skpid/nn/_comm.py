"""CoMM's torch side: the masked-fusion network and its contrastive objective."""

import torch
from torch import nn

from .._multimodal import modality_kind
from ..losses import info_nce
from ._encoders import count_tokens, make_encoder
from ._fusion import TokenFusion

__all__ = ["CoMMNetwork", "CoMMObjective"]


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
    kinds : dict of str to str or None, default=None
        Kind of each modality (``"eeg"``, ``"nirs"`` or None, see
        :func:`skpid._multimodal.modality_kind`); None decides from the names.
    encoders : dict of str to module, class or (class, dict), or None, default=None
        User encoders replacing the built-in ones (see
        :func:`skpid.nn.build_external_encoder`).

    Notes
    -----
    Shapes:

    ``forward(**X)`` takes ``X[m]`` of shape ``(batch, *shapes[m])`` and returns a dict:
    ``Z`` ``(batch, n_components)``, ``P`` and ``P_<m>`` ``(batch, projection_size)``.
    ``embed(**X)`` returns ``Z`` alone, without the masked passes.

    References
    ----------
    .. [1] Dufumier et al., "What to align in multimodal contrastive learning?", ICLR 2025.
    """

    def __init__(
        self,
        shapes,
        n_components,
        d_model=64,
        n_tokens=8,
        n_fusion_layers=1,
        projection_size=64,
        kinds=None,
        encoders=None,
    ):
        super().__init__()
        self.modalities = list(shapes)
        self.encoders = nn.ModuleList()
        self.n_tok = []
        for name, shape in shapes.items():
            kind = kinds[name] if kinds is not None else modality_kind(name, shape)
            encoder = make_encoder(
                shape,
                d_model=d_model,
                n_tokens=n_tokens,
                kind=kind,
                encoder=(encoders or {}).get(name),
            )
            self.n_tok.append(count_tokens(encoder, shape))
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
