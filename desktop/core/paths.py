"""Where Doorstep finds its bundled resources and keeps its data.

Resources live in the repository's top-level ``resources/`` folder; a frozen (PyInstaller) build
carries them inside its bundle, and ``DOORSTEP_RESOURCES`` may point elsewhere for packagers.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding fonts/, translations/, rules/ and demo/."""
    override = os.environ.get("DOORSTEP_RESOURCES")
    if override:
        return Path(override)
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource(*parts: str) -> Path:
    """A path inside the resources folder."""
    return resources_dir().joinpath(*parts)


def cjk_font_path() -> Path:
    """The bundled CJK TrueType font used on paper and, when the system lacks one, on screen."""
    return resource("fonts", "DroidSansFallbackFull.ttf")
