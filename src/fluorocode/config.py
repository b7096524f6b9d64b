"""Where fluorocode keeps its editions: ``--home`` > ``FLUOROCODE_HOME`` > user data dir."""

from __future__ import annotations

import os
from pathlib import Path

from fluorocode.errors import ConfigError

HOME_ENV = "FLUOROCODE_HOME"
#: The service's request size limit in bytes, from ``fluorocode serve --max-body-mb``.
MAX_BODY_ENV = "FLUOROCODE_MAX_BODY_BYTES"
#: Seconds a client has to send a request's headers, then its body, from
#: ``fluorocode serve --read-timeout`` (``service.protocol`` reads it in each worker).
READ_TIMEOUT_ENV = "FLUOROCODE_READ_TIMEOUT"
#: Origins allowed to frame the provider's page, from ``fluorocode serve --embed-origin``.
EMBED_ORIGINS_ENV = "FLUOROCODE_EMBED_ORIGINS"
#: Lines per encounter (both claim types); unset: 50 professional, 999 institutional.
MAX_LINES_ENV = "FLUOROCODE_MAX_LINES"
#: The largest line cap a setting may ask for (the 837I's loop 2400 maximum).
MAX_LINES_CEILING = 999


def resolve_max_lines(flag: int | None = None) -> int | None:
    """The line cap: the argument, else ``$FLUOROCODE_MAX_LINES``, else None (defaults).

    Raises:
        ConfigError: a value that is not a whole number from 1 to 999.
    """
    raw: object = flag if flag is not None else os.environ.get(MAX_LINES_ENV)
    if raw is None or raw == "":
        return None
    try:
        value = int(str(raw))
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LINES_CEILING:
        raise ConfigError(
            f"{MAX_LINES_ENV} / max_lines must be a whole number from 1 to "
            f"{MAX_LINES_CEILING}, not {str(raw)[:20]!r}"
        )
    return value


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
