"""The current routing practice: shares of the labels among the decisions nearest in time."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def recent_practice(
    times: Sequence[float] | np.ndarray,
    ref_times: Sequence[float] | np.ndarray,
    ref_labels: Sequence[str],
    labels: Sequence[str],
    *,
    k: int,
    exclude_self: bool = False,
    past_only: bool = False,
    smoothing: float = 0.5,
) -> np.ndarray:
    """The current routing practice around each of ``times``: the share of each of ``labels``
    (columns) among the ``k`` reference decisions (``ref_times``, ``ref_labels``) nearest in
    time, smoothed by ``smoothing`` per label. With ``past_only`` only the decisions made before
    it count (a new appeal: the latest ``k`` decisions); ``exclude_self`` leaves out references
    at the same time (a training row does not vote for itself). No reference: the uniform share.

    Routing practice drifts — on the Kursk appeals the city administration took the city's
    appeals at some periods and its committees at others — so the decisions nearest in arrival
    order tell which of them routes a topic now."""
    column = {label: i for i, label in enumerate(labels)}
    reference = np.asarray(ref_times, dtype=float)
    ref_columns = np.array([column.get(label, -1) for label in ref_labels], np.int64)
    known = np.flatnonzero(ref_columns >= 0)
    # the references sorted by time once: each query looks at k on either side of its place
    order = known[np.argsort(reference[known], kind="stable")]
    sorted_times, sorted_columns = reference[order], ref_columns[order]
    size = len(order)
    out = np.zeros((len(times), len(labels)), np.float32)
    for row, t in enumerate(np.asarray(times, dtype=float)):
        low = int(np.searchsorted(sorted_times, t, side="left"))
        high = int(np.searchsorted(sorted_times, t, side="right"))
        # k on either side, widened to whole runs of equal times so that ties are all in
        start, end = max(0, low - k), high if past_only else min(size, high + k)
        if start < low:
            start = int(np.searchsorted(sorted_times, sorted_times[start], side="left"))
        if end > high:
            end = int(np.searchsorted(sorted_times, sorted_times[end - 1], side="right"))
        if past_only:
            window = np.arange(start, low)
        elif exclude_self:
            window = np.r_[start:low, high:end]
        else:
            window = np.arange(start, end)
        # the k nearest, ties by the references' order as given
        nearest = window[np.lexsort((order[window], np.abs(sorted_times[window] - t)))[:k]]
        counts = np.bincount(sorted_columns[nearest], minlength=len(labels)).astype(np.float32)
        out[row] = (counts + smoothing) / (counts.sum() + smoothing * len(labels))
    return out
