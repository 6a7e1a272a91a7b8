"""What micrograd_plus does about CPython's cyclic garbage collector, which has nothing to find in our graphs.

Our graphs have no reference cycles: reference counting frees each one as soon as it is unused. Yet
the collector re-scans every live object many times while a big graph is built: 10 to 60% of a
training step. Two remedies, measured in README's Speed section:
- `no_gc()`: pause it around code you run, as fit() and the demos do around each training step;
- backward() does the rest by itself, for code that leaves the collector on: a full collection scans
  every live object, and in a training loop the model and the last step's graph are alive while the
  next graph is built. So after walking a graph of at least FREEZE_AFTER ops, backward() moves the
  live objects out of the collector's sight (gc.freeze()), and the next backward() first puts them
  back (gc.unfreeze()). Reference counting still frees every graph at once; cyclic garbage made
  before a backward() is collected after the next one. Set FREEZE_AFTER = None if your program uses
  gc.freeze() itself.
"""

import gc

__all__ = ["no_gc", "FREEZE_AFTER"]

FREEZE_AFTER = 1_000
_frozen = False  # whether the last backward() froze the live objects


class no_gc:
    """Pause the cyclic garbage collector inside a `with` block, then restore it (nesting is fine)."""

    __slots__ = ("was_enabled",)

    def __enter__(self):
        self.was_enabled = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc_info):
        if self.was_enabled:
            gc.enable()
        return False


def thaw() -> None:
    """Put back under the collector what the last backward() froze (backward() calls this first)."""
    global _frozen
    if _frozen:
        gc.unfreeze()
        _frozen = False


def freeze_after_backward(ops: int, collector_on: bool) -> None:
    """Freeze the live objects after backward() walked `ops` ops, if that is FREEZE_AFTER or more."""
    global _frozen
    if collector_on and FREEZE_AFTER is not None and ops >= FREEZE_AFTER:
        gc.freeze()
        _frozen = True
