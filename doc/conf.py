"""Sphinx configuration of the skpid documentation.

Build (from the repository root)::

    sphinx-build -W --keep-going -n -b html doc doc/_build/html

The build never needs the network. Cross-references to numpy, scipy, scikit-learn, mne,
torch, skorch and pyriemann resolve through intersphinx only when that project's
``objects.inv`` is available: a copy in ``doc/_intersphinx/<name>.inv``, or the online
inventory when ``SKPID_DOC_INTERSPHINX=online`` is set. Otherwise the mapping is left out
and nitpicky mode ignores references into that package (see ``nitpick_ignore_regex``).
Set ``SKPID_DOC_GALLERY=0`` to build without running the gallery.
"""

import importlib
import os
import re
import sys
import warnings
from datetime import date
from pathlib import Path

# One BLAS/torch thread for the examples, set before numpy and torch are imported (they
# read it once): with several threads on a busy machine, busy-waiting threads made the
# gallery several times slower; one thread keeps run times comparable across machines.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import skpid

DOC = Path(__file__).resolve().parent
ROOT = DOC.parent

# -- Project ------------------------------------------------------------------------------

project = "skpid"
author = "skpid developers"
_year = date.today().year
copyright = f"{'2026' if _year == 2026 else f'2026-{_year}'}, {author}"
release = skpid.__version__
version = release

# -- General ------------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinxcontrib.bibtex",
    "myst_parser",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "_intersphinx", "api_modules.rst", "**.ipynb_checkpoints"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
default_role = "py:obj"
nitpicky = True
# numpydoc turns a References section into citations; module docstrings list references
# without citing each one in their text, which docutils reports as unreferenced.
suppress_warnings = ["ref.citation"]

# -- API reference: one section per public module, names from its __all__ ----------------

#: Public modules and their one-line description, in the order a user meets them.
API_MODULES = {
    "skpid": "Top-level names",
    "skpid.io": "mne Epochs and multimodal batches",
    "skpid.physiology": "Physiology in physical units",
    "skpid.datasets": "Simulators with ground truth and loaders of real recordings",
    "skpid.preprocessing": "mne preprocessing chains",
    "skpid.features": "Hand-built EEG and fNIRS features",
    "skpid.compose": "Per-modality routing",
    "skpid.baselines": "Classical pipelines",
    "skpid.augment": "Augmentations",
    "skpid.losses": "Losses and mutual-information bounds",
    "skpid.nn": "Torch modules",
    "skpid.decomposition": "Decomposers",
    "skpid.metrics": "PID estimators and component recovery",
    "skpid.inspection": "Probes and figures",
    "skpid.model_selection": "Evaluations",
}


#: Re-exported name -> the name its page is under (``skpid.PIDDecomposer`` ->
#: ``skpid.decomposition.PIDDecomposer``), filled by ``_api_modules_rst``.
_ALIASES = {}


def _canonical_module(obj, modules):
    """The listed module that documents ``obj``: the deepest one its ``__module__`` is in."""
    home = getattr(obj, "__module__", "") or ""
    owners = [m for m in modules if home == m or home.startswith(m + ".")]
    return max(owners, key=len) if owners else None


def _api_modules_rst():
    """RST with one autosummary table per public module, read from each ``__all__``.

    New public names appear without editing ``api.rst``. A module that cannot be imported
    (one that does not exist yet) is left out with a build-time message, not an error. An
    object exported by several modules (``skpid.PIDDecomposer`` is
    ``skpid.decomposition.PIDDecomposer``) gets one page, under the deepest module that
    holds it; the others link to it.
    """
    loaded = {}
    _ALIASES.clear()
    for name in API_MODULES:
        try:
            loaded[name] = importlib.import_module(name)
        except ImportError as error:
            print(f"[skpid doc] API reference: {name} left out ({error})")
    lines = []
    for name, module in loaded.items():
        public = [obj for obj in getattr(module, "__all__", []) if not obj.startswith("_")]
        if not public:
            continue
        title = API_MODULES[name]
        heading = f":mod:`{name}`: {title}"
        lines += [
            heading,
            "-" * len(heading),
            "",
            f".. automodule:: {name}",
            "   :no-members:",
            "",
            f".. currentmodule:: {name}",
            "",
        ]
        groups = {"Classes": [], "Functions": [], "Constants": []}
        elsewhere = []
        for obj_name in sorted(public, key=str.lower):
            obj = getattr(module, obj_name)
            if callable(obj):
                home = _canonical_module(obj, loaded)
                if home is not None and home != name:
                    elsewhere.append(f"{home}.{obj_name}")
                    _ALIASES[f"{name}.{obj_name}"] = f"{home}.{obj_name}"
                    continue
                groups["Classes" if isinstance(obj, type) else "Functions"].append(obj_name)
            else:
                groups["Constants"].append(obj_name)
        templates = {
            "Classes": "autosummary/class.rst",
            "Functions": "autosummary/function.rst",
            "Constants": "autosummary/data.rst",
        }
        for kind, names in groups.items():
            if names:
                lines += [
                    f".. rubric:: {kind}",
                    "",
                    ".. autosummary::",
                    "   :toctree: generated/",
                    f"   :template: {templates[kind]}",
                    "",
                    *[f"   {n}" for n in names],
                    "",
                ]
        if elsewhere:
            links = ", ".join(f":obj:`~{target}`" for target in elsewhere)
            lines += [f"Also importable from ``{name}``: {links}.", ""]
    return "\n".join(lines) + "\n"


_api_path = DOC / "api_modules.rst"
_api_text = _api_modules_rst()
if not _api_path.exists() or _api_path.read_text() != _api_text:
    _api_path.write_text(_api_text)

autosummary_generate = ["api.rst", "api_modules.rst"]
autosummary_imported_members = True
autodoc_typehints = "none"
# A method without its own docstring is not documented: torch's ``forward`` docstring,
# inherited otherwise, describes torch's Module, not skpid's network.
autodoc_inherit_docstrings = False

# -- numpydoc -----------------------------------------------------------------------------

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False  # types stay text: "array of shape (n, k)" is not an object

# -- Intersphinx: offline-safe ------------------------------------------------------------

INTERSPHINX = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "scipy": "https://docs.scipy.org/doc/scipy",
    "sklearn": "https://scikit-learn.org/stable",
    "mne": "https://mne.tools/stable",
    "torch": "https://docs.pytorch.org/docs/stable",
    "skorch": "https://skorch.readthedocs.io/en/stable",
    "pyriemann": "https://pyriemann.readthedocs.io/en/latest",
    "pandas": "https://pandas.pydata.org/docs",
    "matplotlib": "https://matplotlib.org/stable",
}
_online = os.environ.get("SKPID_DOC_INTERSPHINX", "offline").lower() == "online"
intersphinx_mapping = {}
for _name, _url in INTERSPHINX.items():
    _local = DOC / "_intersphinx" / f"{_name}.inv"
    if _local.exists():
        intersphinx_mapping[_name] = (_url, str(_local))
    elif _online:
        intersphinx_mapping[_name] = (_url, None)
intersphinx_timeout = 10

# Nitpicky mode reports every reference that does not resolve. References into the
# packages above resolve only when their inventory is present (never in offline CI), so
# they are ignored for the packages whose inventory is missing; skpid's own names are
# always checked.
_PACKAGE_PREFIXES = {
    "python": r"(builtins|collections|typing|pathlib|os|numbers|abc|dataclasses)",
    "numpy": r"(numpy|np)",
    "scipy": r"scipy",
    "sklearn": r"(sklearn|scikit-learn)",
    "mne": r"mne",
    "torch": r"torch",
    "skorch": r"skorch",
    "pyriemann": r"pyriemann",
    "pandas": r"(pandas|pd)",
    "matplotlib": r"(matplotlib|mpl|plt)",
}
# Libraries without an inventory in the mapping above: never resolvable offline.
_NO_INVENTORY = r"(joblib|dask|distributed|ray|braindecode|pooch|moabb|mne_nirs|dit|tqdm)"
nitpick_ignore_regex = [
    (r"py:.*", rf"{prefix}(\..*)?")
    for name, prefix in _PACKAGE_PREFIXES.items()
    if name not in intersphinx_mapping
]
nitpick_ignore_regex += [(r"py:.*", rf"{_NO_INVENTORY}(\..*)?")]
# Built-in type names used in docstrings ("int", "callable"): plain words.
nitpick_ignore_regex += [(r"py:.*", r"(int|float|str|bool|dict|list|tuple|callable|None)")]
# Private modules and objects (a leading underscore) are not part of the API reference;
# docstrings may still name them for developers.
nitpick_ignore_regex += [(r"py:.*", r"skpid(\.\w+)*\._\w+(\..*)?")]
# References in docstrings that name an object the API does not document (not exported,
# renamed, or not written yet by work in progress). Each entry is a docstring to fix in the
# module named in the comment; delete the entry once it is fixed.
_DOCSTRING_REFERENCES_TO_FIX = [
    r"(skpid\.datasets\.)?(LICENCE|REGISTRY|URL)",  # datasets/_shin2017.py
    r"(eeg_event_time|hemodynamic_onsets)",  # inspection/_targets.py
    r"evaluate",  # model_selection/_evaluation.py
    r"(FNIRS_OPTODE_PAIRS|make_eeg_fnirs)",  # model_selection/_placement.py (unqualified)
    r"(LogPower|encode)",  # nn/_encoders.py
]
nitpick_ignore_regex += [(r"py:.*", target) for target in _DOCSTRING_REFERENCES_TO_FIX]

# -- Bibliography -------------------------------------------------------------------------

bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

# -- Gallery ------------------------------------------------------------------------------

_run_gallery = os.environ.get("SKPID_DOC_GALLERY", "1") != "0"
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_" if _run_gallery else r"^$",
    "plot_gallery": "True" if _run_gallery else "False",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skpid",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skpid": None},
    "matplotlib_animations": False,
    "min_reported_time": 0,
    "show_memory": False,
    "image_scrapers": ("matplotlib",),
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")

# -- HTML ---------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = "skpid"  # the version is shown next to it (_templates/skpid_version.html)
html_static_path = ["_static"]
html_css_files = ["skpid.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "navbar_start": ["navbar-logo", "skpid_version"],
    "secondary_sidebar_items": ["page-toc"],
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}


def _resolve_alias(app, env, node, contnode):
    """Resolve a reference to a re-exported name (``skpid.PIDDecomposer``) to its page."""
    if node.get("refdomain") != "py":
        return None
    target = _ALIASES.get(node.get("reftarget"))
    if target is None:
        return None
    return env.domains["py"].resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], target, node, contnode
    )


_CITATION = re.compile(r"\s*\[(\d+)\]_")
_DEFINITION = re.compile(r"^\s*\.\. \[(\d+)\]")


def _module_references(module_name):
    """``{number: rst lines}`` of the ``.. [n]`` entries in a module docstring."""
    doc = getattr(sys.modules.get(module_name), "__doc__", None) or ""
    entries, current = {}, None
    for line in doc.splitlines():
        match = _DEFINITION.match(line)
        if match:
            current = match.group(1)
            entries[current] = [line.strip()]
        elif current is not None and line.startswith((" ", "\t")) and line.strip():
            entries[current].append("   " + line.strip())
        else:
            current = None
    return entries


def _cite_module_references(app, what, name, obj, options, lines):
    """Give an object's page the module references its docstring cites.

    Several modules list their references once, in the module docstring, and cite them
    as ``[n]_`` from functions and classes; on the object's own page those citations would
    point nowhere. The entries cited and not defined locally are appended as a References
    section. Citations are dropped from the summary line, which autosummary tables show
    without any reference list.
    """
    if what == "module" or not lines:
        return
    lines[0] = _CITATION.sub("", lines[0])
    text = "\n".join(lines)
    cited = {m.group(1) for m in _CITATION.finditer(text)}
    defined = {m.group(1) for line in lines if (m := _DEFINITION.match(line))}
    missing = sorted(cited - defined, key=int)
    if not missing:
        return
    available = _module_references(getattr(obj, "__module__", None))
    entries = [line for n in missing for line in available.get(n, [])]
    if not entries:
        return
    if "References" in (line.strip() for line in lines):
        at = [line.strip() for line in lines].index("References") + 2  # after the underline
        lines[at:at] = entries
    else:
        lines.extend(["", "References", "----------", *entries])


def _skip_member(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated metadata-routing setters (``set_fit_request``)."""
    if re.fullmatch(r"set_\w+_request", name):
        return True
    return None


def setup(app):
    app.connect("missing-reference", _resolve_alias)
    # before numpydoc (priority 500), which renames the citations it finds
    app.connect("autodoc-process-docstring", _cite_module_references, priority=400)
    app.connect("autodoc-skip-member", _skip_member)
