"""The shape of the code that issue 17 asked for, checked so that it stays that way:
estimators apart from torch modules, a short ``fit``, shared docs written once."""

import importlib
import inspect
import pkgutil

import pytest
from torch import nn

import skpid.decomposition
from skpid.decomposition import HCL, CoMM, FactorCL, PIDDecomposer
from skpid.decomposition._base import DeepDecomposer
from skpid.decomposition._docs import docdict, fill_doc

DECOMPOSERS = [PIDDecomposer, CoMM, FactorCL, HCL]
SHARED = ["modalities", "n_tokens", "augmentations", "callbacks", "optimizer", "encoders"]


def _modules(package):
    for info in pkgutil.iter_modules(package.__path__):
        yield importlib.import_module(f"{package.__name__}.{info.name}")


def test_decomposition_defines_no_torch_module():
    defined = [
        f"{module.__name__}.{name}"
        for module in _modules(skpid.decomposition)
        for name, obj in vars(module).items()
        if inspect.isclass(obj) and obj.__module__ == module.__name__ and issubclass(obj, nn.Module)
    ]
    assert defined == []


def test_fit_is_short():
    assert len(inspect.getsource(DeepDecomposer.fit).splitlines()) < 50


@pytest.mark.parametrize("cls", DECOMPOSERS, ids=[c.__name__ for c in DECOMPOSERS])
def test_shared_parameters_are_documented_from_one_place(cls):
    numpydoc = pytest.importorskip("numpydoc.docscrape")
    params = {p.name: p for p in numpydoc.ClassDoc(cls)["Parameters"]}
    for name in SHARED:
        expected = docdict[name].splitlines()
        assert params[name].type == expected[0].split(" : ", 1)[1]
        assert params[name].desc == [line[4:] for line in expected[1:]]
    assert "%(" not in cls.__doc__
    assert set(inspect.signature(cls).parameters) - {"kwargs"} <= set(params)


def test_fill_doc_indents_entries_and_refuses_unknown_names():
    def documented():
        """Summary.

        Parameters
        ----------
        %(n_tokens)s
        """

    doc = fill_doc(documented).__doc__
    assert "        n_tokens : int, default=8\n            Time tokens" in doc

    def unknown():
        """%(no_such_entry)s"""

    with pytest.raises(KeyError):
        fill_doc(unknown)
