"""Where fluorocode keeps its editions: ``--home`` > ``FLUOROCODE_HOME`` > user data dir."""

from __future__ import annotations

import os
from pathlib import Path

from fluorocode.errors import ConfigError

HOME_ENV = "FLUOROCODE_HOME"
#: The service's request size limit in bytes, from ``fluorocode serve --max-body-mb``.
MAX_BODY_ENV = "FLUOROCODE_MAX_BODY_BYTES"
#: Origins allowed to frame the provider's page, from ``fluorocode serve --embed-origin``.
EMBED_ORIGINS_ENV = "FLUOROCODE_EMBED_ORIGINS"


def resolve_home(flag: str | os.PathLike[str] | None = None) -> Path:
    """The home directory: the flag, else the environment, else the user data dir."""
    if flag:
        home = Path(flag)
    elif os.environ.get(HOME_ENV):
        home = Path(os.environ[HOME_ENV])
    else:
        import platformdirs  # deferred: only needed when no home is given

        home = Path(platformdirs.user_data_dir("fluorocode", appauthor=False))
    if home.exists() and not home.is_dir():
        raise ConfigError(f"home {home} exists and is not a directory")
    return home
