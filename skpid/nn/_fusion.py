"""Attention over the tokens of every modality, read out through a CLS token.

References
----------
.. [1] Dufumier et al., "What to align in multimodal contrastive learning?", ICLR 2025
   (CoMM: a transformer fuses per-modality tokens; the CLS token is the fused vector).
.. [2] Vaswani et al., "Attention is all you need", NeurIPS 2017.
"""

import torch
from torch import nn

__all__ = ["TokenFusion"]


class TokenFusion(nn.Module):
    """Transformer encoder over the concatenated tokens of all modalities plus a CLS token.

    Each token gets a learned embedding of its modality and of its position within that
    modality, so the fusion knows where (and in which signal) an event happened.

    Parameters
    ----------
    n_tokens : list of int
        Number of tokens of each modality, in the order they are passed to ``forward``.
    d_model : int, default=64
        Token size.
    n_layers : int, default=1
        Number of transformer layers.
    n_heads : int, default=4
        Attention heads (must divide ``d_model``).

    Notes
    -----
    Shapes:

    input: a list of ``(batch, n_tokens[m], d_model)``; output ``(batch, d_model)``.
    """

    def __init__(self, n_tokens, d_model=64, n_layers=1, n_heads=4):
        super().__init__()
        self.cls = nn.Parameter(torch.zeros(1, 1, d_model))
        self.position = nn.Parameter(0.02 * torch.randn(1, sum(n_tokens), d_model))
        layer = nn.TransformerEncoderLayer(
            d_model,
            n_heads,
            dim_feedforward=2 * d_model,
            dropout=0.0,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, tokens):
        x = torch.cat(tokens, dim=1) + self.position
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        return self.norm(self.encoder(x)[:, 0])
