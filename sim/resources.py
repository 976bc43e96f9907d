"""Where the project's files are: its configs and data, in a checkout or in an installed package.

In a checkout (``pyproject.toml`` beside ``sim/``) the configs are ``configs/`` and the data
``data/``, and results go under the checkout's ``results/``. A wheel carries the same folders
inside the package as ``sim/configs`` and ``sim/data`` (``pyproject.toml``: ``package-dir``), and
results go under the working directory.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent

#: The checkout holding this package, or None when it runs from an installed wheel.
SOURCE_ROOT: Path | None = (
    _CHECKOUT if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "configs").is_dir() else None
)

#: Hydra's config folder (``config.yaml`` and the groups world/, scenario/, params/, hydra/).
CONFIG_DIR: Path = SOURCE_ROOT / "configs" if SOURCE_ROOT else _PACKAGE / "configs"

#: The project's data (``targets.csv``, the Mexico tables, BACRIM 2020 with its attribution).
DATA_DIR: Path = SOURCE_ROOT / "data" if SOURCE_ROOT else _PACKAGE / "data"

#: Where ``results/`` and ``.cache/`` live: the checkout, else the working directory.
WORK_ROOT: Path = SOURCE_ROOT if SOURCE_ROOT else Path.cwd()
