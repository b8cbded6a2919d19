"""Torch modules of skpid: per-modality encoders, fusion, heads and critics."""

from ._encoders import MLPEncoder, TemporalConvEncoder, make_encoder
from ._fusion import TokenFusion
from ._heads import GaussianCritic, ProjectionHead, SeparableCritic
from ._network import PIDNetwork

__all__ = [
    "GaussianCritic",
    "MLPEncoder",
    "PIDNetwork",
    "ProjectionHead",
    "SeparableCritic",
    "TemporalConvEncoder",
    "TokenFusion",
    "make_encoder",
]
