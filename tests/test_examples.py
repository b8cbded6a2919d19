"""The gallery's examples follow the rules the documentation build relies on.

Running them is the documentation build's job (sphinx-gallery, in ``.ci/run``); these
checks are static and fast.
"""

import ast
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("plot_*.py"))


def test_gallery_has_header_and_examples():
    assert (EXAMPLES / "GALLERY_HEADER.rst").is_file()
    assert len(SCRIPTS) >= 7


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_example_is_a_gallery_script(path):
    source = path.read_text()
    tree = ast.parse(source)
    docstring = ast.get_docstring(tree)
    assert docstring, f"{path.name}: sphinx-gallery needs a module docstring with a title"
    lines = [line for line in docstring.splitlines() if line.strip()]
    # an RST title: a line of text over a line of "=" at least as long
    titles = [
        i
        for i in range(len(lines) - 1)
        if set(lines[i + 1].strip()) == {"="} and len(lines[i + 1].strip()) >= len(lines[i])
    ]
    assert titles, f"{path.name}: the docstring has no '=====' title"
    assert "# %%" in source, f"{path.name}: no '# %%' cells with prose between code"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_example_uses_public_api_only(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("skpid"):
            private = [part for part in node.module.split(".") if part.startswith("_")]
            assert not private, f"{path.name}: imports the private module {node.module}"
            names = [alias.name for alias in node.names if alias.name.startswith("_")]
            assert not names, f"{path.name}: imports private names {names}"
        if isinstance(node, ast.Attribute) and node.attr in {"argv", "path"}:
            base = node.value
            if isinstance(base, ast.Name) and base.id == "sys":
                raise AssertionError(f"{path.name}: uses sys.{node.attr} (no CLI, no path hacks)")
