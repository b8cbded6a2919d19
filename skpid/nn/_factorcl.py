"""FactorCL's torch side: shared/unique heads, concat critics and the FactorCL-SSL objective."""

import torch
from torch import nn

from ..losses import nce_club, nce_lower_bound
from ._encoders import modality_encoder
from ._heads import ProjectionHead

__all__ = ["ConcatCritic", "FactorCLNetwork", "FactorCLObjective"]


class ConcatCritic(nn.Module):
    """Concat critic ``f(x, y) = h([x, y])``, ``h`` an MLP, scored on every pair of a batch.

    FactorCL uses this design for all its critics (Appendix C of [1]_, after Poole et
    al. [2]_).

    Parameters
    ----------
    x_features, y_features : int
        Sizes of the two inputs.
    hidden : int, default=64
        Width of the two hidden layers of ``h``.

    Notes
    -----
    Shapes:

    input ``x (batch, x_features)``, ``y (batch, y_features)``; output ``(batch, batch)``
    with ``out[i, j] = f(x_i, y_j)``.

    References
    ----------
    .. [1] Liang et al., "Factorized contrastive learning: going beyond multi-view
       redundancy", NeurIPS 2023.
    .. [2] Poole et al., "On variational bounds of mutual information", ICML 2019.
    """

    def __init__(self, x_features, y_features, hidden=64):
        super().__init__()
        self.h = nn.Sequential(
            nn.Linear(x_features + y_features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x, y):
        # h's first layer on [x_i, y_j] is A x_i + B y_j + c: computed per sample and
        # broadcast over the pairs, without materialising the (batch, batch, x + y) input
        first = self.h[0]
        n_x = x.shape[1]
        hidden = (x @ first.weight[:, :n_x].T + first.bias)[:, None] + (
            y @ first.weight[:, n_x:].T
        )[None]
        return self.h[1:](hidden).squeeze(-1)


class FactorCLNetwork(nn.Module):
    """Encoder per modality, then a shared head ``S_m`` and a unique head ``U_m``.

    Parameters
    ----------
    shapes : dict of str to tuple
        Trailing shape of each of the two modalities.
    n_components : int
        Size of every head.
    d_model : int, default=64
        Token size and hidden width.
    n_tokens : int, default=8
        Tokens per time-series modality (half as many for tabular ones).
    kinds : dict of str to str or None, default=None
        Kind of each modality (``"eeg"``, ``"nirs"`` or None, see
        :func:`skpid._multimodal.modality_kind`); None decides from the names.
    encoders : dict of str to module, class or (class, dict), or None, default=None
        User encoders replacing the built-in ones (see
        :func:`skpid.nn.build_external_encoder`).

    Notes
    -----
    Shapes:

    ``forward(**X)`` takes ``X[m]`` of shape ``(batch, *shapes[m])`` and returns a dict of
    ``S_<m>`` and ``U_<m>``, each ``(batch, n_components)``. ``embed(**X)`` returns
    ``[S_<m1>, S_<m2>, U_<m1>, U_<m2>]`` side by side, ``(batch, 4 * n_components)``.
    """

    def __init__(self, shapes, n_components, d_model=64, n_tokens=8, kinds=None, encoders=None):
        super().__init__()
        self.modalities = list(shapes)
        self.encoders = nn.ModuleList()
        self.shared = nn.ModuleList()
        self.unique = nn.ModuleList()
        for name, shape in shapes.items():
            encoder = modality_encoder(
                name, shape, kinds, encoders, d_model=d_model, n_tokens=n_tokens
            )
            self.encoders.append(encoder)
            self.shared.append(ProjectionHead(d_model, n_components, d_model))
            self.unique.append(ProjectionHead(d_model, n_components, d_model))

    def forward(self, **X):
        out = {}
        for i, m in enumerate(self.modalities):
            h = self.encoders[i](X[m])[1]
            out[f"S_{m}"] = self.shared[i](h)
            out[f"U_{m}"] = self.unique[i](h)
        return out

    def embed(self, **X):
        out = self(**X)
        keys = [f"S_{m}" for m in self.modalities] + [f"U_{m}" for m in self.modalities]
        return torch.cat([out[k] for k in keys], dim=1)


class FactorCLObjective(nn.Module):
    """FactorCL-SSL objective (Eqs. 97-99 of [1]_) with its critics.

    With ``x`` one augmented view of the batch and ``x'`` the other (representations
    ``out_a`` and ``out_b``), the network maximises

    ``I_NCE(S1; S2) - I_NCE-CLUB(S1; S2 | S1', S2')`` (shared)
    ``+ I_NCE(U1; U1') + I_NCE(U2; U2')`` (unique, within each modality)
    ``- I_NCE-CLUB(U1; U2) + I_NCE(U1; U2 | U1', U2')`` (shared information removed from
    the unique heads, task-relevant shared information given back)

    where ``S_m``, ``U_m`` are the shared and unique heads of modality ``m``. Conditioning
    on the views is done by concatenation: the critic of ``I(S1; S2 | S1', S2')`` scores
    ``[S1(x), S1(x')]`` against ``[S2(x), S2(x')]`` (Sordoni et al., as cited in [1]_).
    The unconditional cross-modal terms are averaged over both views, the conditional ones
    over both orders of the views.

    Every term has its own :class:`ConcatCritic`. The critics are trained in their own
    step to maximise their InfoNCE bound on detached representations
    (:meth:`critic_loss`); the network then maximises the InfoNCE terms and minimises the
    NCE-CLUB terms with the critics fixed. NCE-CLUB plugs the InfoNCE-trained critic into
    the CLUB upper bound (Theorem 2 of [1]_; :func:`skpid.losses.nce_club`).

    Parameters
    ----------
    modalities : list of str
        The two modality names.
    n_components : int
        Size of every head.
    hidden : int, default=64
        Width of the critics.

    References
    ----------
    .. [1] Liang et al., "Factorized contrastive learning: going beyond multi-view
       redundancy", NeurIPS 2023.
    """

    def __init__(self, modalities, n_components, hidden=64):
        super().__init__()
        self.modalities = list(modalities)
        k = n_components
        self.critics = nn.ModuleDict(
            {
                "shared_nce": ConcatCritic(k, k, hidden),
                "shared_cond_club": ConcatCritic(2 * k, 2 * k, hidden),
                "unique_nce_0": ConcatCritic(k, k, hidden),
                "unique_nce_1": ConcatCritic(k, k, hidden),
                "unique_club": ConcatCritic(k, k, hidden),
                "unique_cond_nce": ConcatCritic(2 * k, 2 * k, hidden),
            }
        )

    def _pairs(self, out_a, out_b):
        """``{critic name: [(x, y), ...]}``, the samples each critic's terms are computed on."""
        m1, m2 = self.modalities

        def cond(out, view, block):
            # the representation of x concatenated with that of its augmented view x'
            # (the public code concatenates the embedding of x with itself here)
            return (
                torch.cat([out[f"{block}_{m1}"], view[f"{block}_{m1}"]], dim=1),
                torch.cat([out[f"{block}_{m2}"], view[f"{block}_{m2}"]], dim=1),
            )

        views = ((out_a, out_b), (out_b, out_a))
        return {
            "shared_nce": [(o[f"S_{m1}"], o[f"S_{m2}"]) for o in (out_a, out_b)],
            "shared_cond_club": [cond(o, v, "S") for o, v in views],
            "unique_nce_0": [(out_a[f"U_{m1}"], out_b[f"U_{m1}"])],
            "unique_nce_1": [(out_a[f"U_{m2}"], out_b[f"U_{m2}"])],
            "unique_club": [(o[f"U_{m1}"], o[f"U_{m2}"]) for o in (out_a, out_b)],
            "unique_cond_nce": [cond(o, v, "U") for o, v in views],
        }

    def critic_loss(self, out_a, out_b):
        """Minus the mean InfoNCE bound of all critics, on detached representations."""
        bounds = [
            nce_lower_bound(self.critics[name](x.detach(), y.detach()))
            for name, pairs in self._pairs(out_a, out_b).items()
            for x, y in pairs
        ]
        return -torch.stack(bounds).mean()

    def forward(self, out_a, out_b, y=None):
        """Return the estimated bounds (nats) and ``loss = -L_FactorCL-SSL``."""
        pairs = self._pairs(out_a, out_b)

        def estimate(name, bound):
            return torch.stack([bound(self.critics[name](x, y)) for x, y in pairs[name]]).mean()

        terms = {
            "shared_nce": estimate("shared_nce", nce_lower_bound),
            "shared_cond_club": estimate("shared_cond_club", nce_club),
            "unique_nce": estimate("unique_nce_0", nce_lower_bound)
            + estimate("unique_nce_1", nce_lower_bound),
            "unique_club": estimate("unique_club", nce_club),
            "unique_cond_nce": estimate("unique_cond_nce", nce_lower_bound),
        }
        objective = (
            terms["shared_nce"]
            - terms["shared_cond_club"]
            + terms["unique_nce"]
            - terms["unique_club"]
            + terms["unique_cond_nce"]
        )
        terms["loss"] = -objective
        return terms
