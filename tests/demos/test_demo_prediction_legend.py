"""softmax_classifier's prediction chart: the legend sits above the bars, covering none."""

from __future__ import annotations

import pytest

pytest.importorskip("matplotlib")


def test_the_legend_covers_no_bar(tmp_path, monkeypatch):
    import demos.softmax_classifier as demo

    figures = []
    real = demo.save_figure

    def keep(fig, path, **kwargs):
        figures.append(fig)
        return real(fig, path, **kwargs)

    monkeypatch.setattr(demo, "save_figure", keep)
    f = {"y": [0.7, 0.2, 0.1], "t": [1.0, 0.0, 0.0], "L": 0.36}  # class 1 reaches the top
    assert demo.plot_prediction(f, tmp_path, 80) is not None
    (fig,) = figures
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    (ax,) = fig.axes
    legend = ax.get_legend().get_window_extent(renderer)
    bars = [p.get_window_extent(renderer) for p in ax.patches]
    assert len(bars) == 6
    assert not any(legend.overlaps(bar) for bar in bars)
