"""The two pieces of the page that run in the browser (Vue templates beside this module, the way
Solara's own components are built: ``solara.component_vue``).

``FrameShown``   reports to the server the frame number the browser has drawn: the play loop steps
                 a week only once the browser has drawn the frame before the last one it was sent
                 (:class:`~sim.viz.session.Frames`), so the server does not run ahead of the
                 screen and Pause stops what the user sees.
``PngDownload``  a button that saves a view as a PNG, as the browser draws it (its SVG pictures on a
                 canvas): the picture on the screen, with its country focus and map colours, with
                 no rasteriser on the server.
"""

from __future__ import annotations

from collections.abc import Callable

import solara


@solara.component_vue("frame_shown.vue", vuetify=False)
def FrameShown(frame: int, event_shown: Callable[[int], None]) -> None:
    """Calls ``event_shown(frame)`` once the browser has painted the update that brought ``frame``."""


@solara.component_vue("png_download.vue")
def PngDownload(view: str, prefix: str, label: str, scale: float = 2.0) -> None:
    """A button saving the view ``view`` (its ``data-testid``) as ``<prefix>_week<k>_<view>.png``,
    at ``scale`` times its size on screen."""
