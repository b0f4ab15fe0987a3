"""Import every model module so that ``Base.metadata`` is complete (migrations, tests)."""

from __future__ import annotations

import importlib
import pkgutil

import repdesk


def import_all_models() -> None:
    for mod in pkgutil.walk_packages(repdesk.__path__, "repdesk."):
        if mod.name.endswith(".models"):
            importlib.import_module(mod.name)
