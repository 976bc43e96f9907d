"""One browser tab's run: the model the sidebar built and the same seed's baseline beside it.

The page's controls (``sim/viz/app.py``) act on a :class:`Run`, a plain object (no Solara), so what
Step, Play and the horizon do is tested without a browser (``tests/test_ui.py``):

* :meth:`Run.step` advances the scenario and, in lockstep, the baseline (same world, seed and
  burn-in, the ``baseline`` scenario, no lever ticked: :func:`~sim.viz.factory.baseline_kwargs`), so
  every plot can show both and their difference at the same week. The baseline costs one more
  ``model.step()`` a week (about 8 ms on the default world, ``scripts/ui_frametime.py``); when the
  sidebar's run *is* the baseline there is none.
* A run stops at its horizon (burn-in + ``steps`` weeks, the CLI's): :meth:`Run.step` never goes past it.
* :meth:`Run.stop` asks a running :meth:`Run.step` to stop before its next week (Pause stops at once:
  at most the week under way finishes).

:class:`Frames` is the play loop's back-pressure: the browser reports each frame it has drawn
(:func:`~sim.viz.browser.FrameShown`) and Play steps a week only once the browser has drawn the
frame before the last one sent (``sim/viz/app.py``), so the server is never more than one frame
ahead of what the user sees.

:func:`new_run` hands a new tab a run of the sidebar's defaults built in advance (one is kept ready
in a background thread), so the first page does not wait for a model to be built.
"""

from __future__ import annotations

import threading

from sim.viz.factory import UIModel, baseline_kwargs


class Run:
    """The scenario's model, its baseline (or None) and the horizon; steps both, never past the horizon."""

    def __init__(self, settings: dict) -> None:
        self.model = UIModel(**settings)
        base = baseline_kwargs(self.model.ui_settings)
        self.baseline: UIModel | None = UIModel(**base) if base is not None else None
        self.horizon = int(self.model.cfg.burn_in) + int(self.model.cfg.steps)
        self._stop = threading.Event()
        self.lock = threading.RLock()  # one step at a time; the views are drawn between steps

    @property
    def steps(self) -> int:
        return int(self.model.steps)

    @property
    def done(self) -> bool:
        return self.steps >= self.horizon

    def stop(self) -> None:
        """Stop a :meth:`step` under way before its next week."""
        self._stop.set()

    def step(self, weeks: int = 1) -> int:
        """Advance up to ``weeks`` weeks (fewer at the horizon or after :meth:`stop`); the weeks done."""
        self._stop.clear()
        done = 0
        with self.lock:
            while done < weeks and not self.done and not self._stop.is_set():
                self.model.step()
                if self.baseline is not None and self.baseline.steps < self.model.steps:
                    self.baseline.step()
                done += 1
        return done


class Frames:
    """The last frame (a number that grows by one a frame) the browser of one tab has drawn."""

    def __init__(self) -> None:
        self.drawn = -1
        self._cv = threading.Condition()

    def shown(self, frame: int) -> None:
        """The browser has drawn ``frame`` (and so every frame before it)."""
        with self._cv:
            self.drawn = max(self.drawn, int(frame))
            self._cv.notify_all()

    def wait(self, frame: int, timeout: float) -> bool:
        """Wait until the browser has drawn ``frame``, at most ``timeout`` seconds; whether it has."""
        with self._cv:
            return self._cv.wait_for(lambda: self.drawn >= frame, timeout)


_ready: dict[str, Run | None] = {"run": None}
_ready_lock = threading.Lock()


def _prepare(settings: dict) -> None:
    run = Run(settings)
    with _ready_lock:
        _ready["run"] = run


def prepare(settings: dict) -> threading.Thread:
    """Build a run of ``settings`` in a background thread, for the next :func:`new_run` to take."""
    worker = threading.Thread(target=_prepare, args=(dict(settings),), name="crimenet-prepare", daemon=True)
    worker.start()
    return worker


def new_run(settings: dict) -> Run:
    """A run of ``settings``: the one built in advance when it has these settings (and another is
    prepared for the next tab), else a new one."""
    with _ready_lock:
        run, _ready["run"] = _ready["run"], None
    if run is not None and run.model.ui_settings == {**run.model.ui_settings, **settings} and run.steps == 0:
        prepare(settings)
        return run
    return Run(settings)
