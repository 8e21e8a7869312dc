"""pimsim: a cycle-accurate simulator of PIM-GPT style processing-in-memory.

The Python API (docs/api.md): ``pimsim.simulate``, ``pimsim.compare``, ``pimsim.load_hw``, and
``pimsim.PimsimError`` for bad input. They are loaded on first use, so ``import pimsim`` stays cheap.
"""

__version__ = "0.4.0"

_API = {"simulate": "pimsim.api", "compare": "pimsim.api", "load_hw": "pimsim.api", "Result": "pimsim.api",
        "Metrics": "pimsim.api", "PimsimError": "pimsim.errors"}
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'pimsim' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
