"""Torch modules of skpid: encoders, fusion, heads, critics, and per method its network and
objective (PIDDecomposer, CoMM, FactorCL, HCL); the estimators of
:mod:`skpid.decomposition` are thin over them."""

from ._comm import CoMMNetwork, CoMMObjective
from ._encoders import (
    ExternalEncoder,
    FilterBankEncoder,
    MLPEncoder,
    ModalityEncoder,
    PolyphaseConv1d,
    TemporalConvEncoder,
    build_external_encoder,
    check_encoders,
    make_encoder,
    token_summary,
)
from ._factorcl import ConcatCritic, FactorCLNetwork, FactorCLObjective
from ._fusion import TokenFusion
from ._hcl import DEFAULT_HCL_WEIGHTS, HCLNetwork, HCLObjective
from ._heads import BatchCentering, GaussianCritic, ProjectionHead, SeparableCritic
from ._pid import DEFAULT_LOSS_WEIGHTS, PIDNetwork, PIDObjective, cross_products

__all__ = [
    "DEFAULT_HCL_WEIGHTS",
    "DEFAULT_LOSS_WEIGHTS",
    "BatchCentering",
    "CoMMNetwork",
    "CoMMObjective",
    "ConcatCritic",
    "ExternalEncoder",
    "FactorCLNetwork",
    "FactorCLObjective",
    "FilterBankEncoder",
    "GaussianCritic",
    "HCLNetwork",
    "HCLObjective",
    "MLPEncoder",
    "ModalityEncoder",
    "PIDNetwork",
    "PIDObjective",
    "PolyphaseConv1d",
    "ProjectionHead",
    "SeparableCritic",
    "TemporalConvEncoder",
    "TokenFusion",
    "build_external_encoder",
    "check_encoders",
    "cross_products",
    "make_encoder",
    "token_summary",
]
