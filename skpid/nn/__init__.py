"""Torch modules of skpid: per-modality encoders, fusion, heads and critics."""

from ._encoders import (
    FilterBankEncoder,
    MLPEncoder,
    ModalityEncoder,
    PolyphaseConv1d,
    TemporalConvEncoder,
    make_encoder,
    modality_kind,
    token_summary,
)
from ._fusion import TokenFusion
from ._heads import BatchCentering, GaussianCritic, ProjectionHead, SeparableCritic
from ._network import PIDNetwork

__all__ = [
    "BatchCentering",
    "FilterBankEncoder",
    "GaussianCritic",
    "MLPEncoder",
    "ModalityEncoder",
    "PIDNetwork",
    "PolyphaseConv1d",
    "ProjectionHead",
    "SeparableCritic",
    "TemporalConvEncoder",
    "TokenFusion",
    "make_encoder",
    "modality_kind",
    "token_summary",
]
