"""pimsim: a cycle-accurate simulator of PIM-GPT style processing-in-memory.

The Python API (docs/api.md): ``pimsim.simulate``, ``pimsim.compare``, ``pimsim.sweep``,
``pimsim.trace``, ``pimsim.load_hw``, and ``pimsim.PimsimError`` for bad input. They are loaded on
first use, so ``import pimsim`` stays cheap.
"""

__version__ = "0.5.0"

_API = {name: "pimsim.api" for name in ("simulate", "compare", "sweep", "trace", "load_hw", "Result", "Metrics",
                                        "SweepResult")}
_API.update(PimsimError="pimsim.errors", PimsimWarning="pimsim.errors")
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'pimsim' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
