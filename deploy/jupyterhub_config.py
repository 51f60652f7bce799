"""JupyterHub for one workshop room on one machine: `make hub` starts it with this file.

Stock JupyterHub; every setting comes from deploy/room/configurer.py `apply()`, fed by the HUB_*
variables `python -m deploy.room serve` sets (see docs/trainer-guide.md).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: `deploy`

from deploy.room.configurer import apply  # noqa: E402

apply(get_config(), os.environ)  # noqa: F821 - JupyterHub provides get_config() here
