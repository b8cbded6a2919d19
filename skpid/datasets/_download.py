"""Safe download of dataset archives: hashes, integrity checks, mirrors, partial files.

One archive is fetched by :func:`fetch_archive`:

1. a copy in one of the local mirror folders is used in place, after the same checks;
2. an archive already in the download folder is used only if it passes the checks
   (otherwise it is removed and fetched again: a truncated or stale file is never reused);
3. otherwise it is downloaded with :func:`pooch.retrieve` (with a progress bar), into a
   temporary file that pooch moves to its final name only when the download completed;
   any file left under the final name after a failure is removed.

The checks: the sha256 hash when the registry knows it, the size in bytes when known,
and always that the file is a complete zip archive (the zip directory sits at the end of
the file and every member carries a CRC, so a truncated or corrupted download fails).
When no hash is recorded yet, a warning names the archive's sha256 and size so that they
can be recorded in the dataset's registry.
"""

import hashlib
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path, PurePosixPath

import pooch

__all__ = ["extract_archive", "fetch_archive", "file_sha256", "verify_archive"]

_CHUNK = 1 << 20


def file_sha256(path):
    """Hexadecimal sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_archive(path, *, sha256=None, size=None):
    """Check that ``path`` is the expected, complete zip archive.

    Parameters
    ----------
    path : str or Path
        The archive.
    sha256 : str or None, default=None
        Expected sha256 (hexadecimal); ``None`` skips the hash check.
    size : int or None, default=None
        Expected size in bytes; ``None`` skips the size check.

    Raises
    ------
    ValueError
        If the hash or the size differs, or the file is not a complete zip archive
        (message names the file and what to do).
    """
    path = Path(path)
    actual = path.stat().st_size
    if size is not None and actual != size:
        raise ValueError(
            f"{path.name} has {actual} bytes, the release's archive has {size}: the file is "
            "truncated or is not the released one. It was removed; fetch it again."
        )
    if sha256 is not None:
        digest = file_sha256(path)
        if digest != sha256.lower():
            raise ValueError(
                f"{path.name} has sha256 {digest}, the release's archive has {sha256}: the "
                "file is corrupted or the host changed it. It was removed; fetch it again, "
                "or report the new hash if the host published a new version."
            )
    try:
        with zipfile.ZipFile(path) as zf:
            broken = zf.testzip()
    except zipfile.BadZipFile as err:
        raise ValueError(
            f"{path.name} ({actual} bytes) is not a complete zip archive ({err}): the "
            "download was cut short or the host sent an error page. It was removed; fetch it "
            "again, or download it by hand into a mirror folder."
        ) from err
    if broken is not None:
        raise ValueError(
            f"{path.name}: member {broken!r} fails its CRC check, the archive is corrupted. "
            "It was removed; fetch it again."
        )


def _checked(path, sha256, size, *, remove):
    """Verify ``path``; remove it on failure when ``remove`` (never a mirror's file)."""
    try:
        verify_archive(path, sha256=sha256, size=size)
    except ValueError:
        if remove:
            Path(path).unlink(missing_ok=True)
        raise


def _warn_unregistered(path, url):
    warnings.warn(
        f"No sha256 is recorded for {path.name} ({url}); it was checked only for being a "
        f"complete zip archive. Its sha256 is {file_sha256(path)} and its size "
        f"{path.stat().st_size} bytes: record them in the dataset's registry.",
        UserWarning,
        stacklevel=3,
    )


def fetch_archive(url, fname, folder, *, sha256=None, size=None, mirrors=(), progressbar=True):
    """Return a verified copy of one archive, from a mirror folder or downloaded.

    Parameters
    ----------
    url : str
        Where to download the archive from.
    fname : str
        File name of the archive (one name per archive, so that archives never overwrite
        each other).
    folder : str or Path
        Download folder; created if needed.
    sha256 : str or None, default=None
        Recorded sha256 of the archive, or ``None`` if not known yet.
    size : int or None, default=None
        Recorded size in bytes, or ``None``.
    mirrors : sequence of str or Path, default=()
        Local folders searched for ``fname`` (directly inside, or in a sub-folder named
        like the last folder of ``url``, e.g. ``EEG/``) before downloading.
    progressbar : bool, default=True
        Show a progress bar while downloading (needs ``tqdm``).

    Returns
    -------
    path : Path
        The archive.
    from_mirror : bool
        Whether ``path`` is a mirror's file (which the caller must not delete).

    Raises
    ------
    ValueError
        If the archive fails a check (see :func:`verify_archive`).
    OSError
        If the download fails; the message names the URL and the mirror options.
    """
    folder = Path(folder)
    sub = PurePosixPath(url).parent.name
    for mirror in mirrors:
        for candidate in (Path(mirror) / fname, Path(mirror) / sub / fname):
            if candidate.is_file():
                _checked(candidate, sha256, size, remove=False)
                return candidate, True
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / fname
    if target.is_file():
        try:
            _checked(target, sha256, size, remove=True)
            return target, False
        except ValueError:
            pass  # removed: a partial or stale file is fetched again below
    known_hash = None if sha256 is None else f"sha256:{sha256}"
    if progressbar:
        try:  # pooch draws its bar with tqdm, an optional dependency
            import tqdm  # noqa: F401
        except ImportError:
            progressbar = False
    try:
        pooch.retrieve(url, known_hash, fname=fname, path=folder, progressbar=bool(progressbar))
    except ValueError as err:  # pooch refused the hash; it already removed its temporary
        target.unlink(missing_ok=True)
        raise ValueError(
            f"{fname} downloaded from {url} does not have the recorded sha256 {sha256} "
            f"({err}). The download was removed. Fetch it again; if the host now serves a "
            "new version, check it and record its hash."
        ) from err
    except Exception as err:
        target.unlink(missing_ok=True)
        raise OSError(
            f"Downloading {url} failed ({type(err).__name__}: {err}). If the host is down, "
            "moved or refuses the connection (e.g. a TLS certificate error), download the "
            f"archive by other means and put it in a mirror folder as {fname}, or point the "
            "base URL to a mirror (see the loader's documentation)."
        ) from err
    _checked(target, sha256, size, remove=True)
    if sha256 is None and size is None:
        _warn_unregistered(target, url)
    return target, False


def _member_is_safe(name):
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return bool(parts) and not PurePosixPath(name).is_absolute() and ".." not in parts


def extract_archive(archive, folder):
    """Unpack a zip archive into a new temporary folder inside ``folder``.

    Members with absolute paths or ``..`` are refused, so nothing is written outside.

    Returns
    -------
    tmp : Path
        The folder holding the unpacked files; the caller moves what it needs and removes
        it (``shutil.rmtree``).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=folder))
    try:
        with zipfile.ZipFile(archive) as zf:
            unsafe = [n for n in zf.namelist() if not _member_is_safe(n)]
            if unsafe:
                raise ValueError(
                    f"{Path(archive).name} holds paths outside its folder ({unsafe[:3]}); "
                    "refusing to unpack it. Remove the file and fetch it again."
                )
            zf.extractall(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp
