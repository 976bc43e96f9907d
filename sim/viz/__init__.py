"""The browser UI (Solara, around the Mesa model): watch a run on a map and a network beside its
baseline, change a policy, step, focus on a country, export.

Start it with ``python -m sim.viz`` (or ``make ui``); ``sim/viz/app.py`` is the Solara app.

Modules:

``factory``   the per-session model (:class:`UIModel`), built through :func:`sim.compose` from the
              same Hydra configs as the CLI; the scenario list and policy knobs shown in the sidebar.
``map``       territories at their coordinates, coloured by controlling group, shaded by homicide
              rate, corridors drawn by drug flow (inline SVG, fixed projection).
``network``   organisations, facilitators and corrupt officials with their ties (inline SVG, fixed
              radial layout: angle = geography, ring = kind of actor).
``plots``     the headline outcomes over time (small multiples, inline SVG).
``panels``    the run's status and the recent events.
``session``   one tab's run: the model and the same seed's baseline stepped in lockstep, the horizon,
              Pause (:class:`~sim.viz.session.Run`).
``export``    the downloads: series and events (CSV, Parquet), the views (SVG).
``browser``   the page's two pieces that run in the browser: the frame it has drawn (Play's
              back-pressure) and the views' PNG downloads.
``style``     the colours (CSS names) shared by all views.
``app``       the Solara page (``Page``) putting it together (its own controls rather than Mesa's
              ``SolaraViz``: the module's docstring says why).

The view builders are plain functions of a model that return HTML/SVG strings, so they can be
tested and timed without a browser (``tests/test_ui.py``, ``scripts/ui_frametime.py``).
"""
