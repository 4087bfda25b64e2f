"""Quantiles from cumulative histogram buckets, with Prometheus's histogram_quantile() algorithm.

The reporter sums bucket increases over a whole period itself (one PromQL query over a month would
exceed Prometheus's sample limit), so it needs the same interpolation Prometheus uses.
"""
from __future__ import annotations

import math


def histogram_quantile(q: float, buckets: dict[float, float]) -> float | None:
    """`buckets` maps upper bound (`le`, +Inf included) to cumulative count; None when empty."""
    bounds = sorted(buckets)
    if len(bounds) < 2 or not math.isinf(bounds[-1]):
        return None
    counts, highest = [], 0.0
    for bound in bounds:                      # repair non-monotonic counts as Prometheus does
        highest = max(highest, buckets[bound])
        counts.append(highest)
    observations = counts[-1]
    if observations <= 0:
        return None
    rank = q * observations
    index = next(i for i, count in enumerate(counts) if count >= rank)
    if index == len(bounds) - 1:              # in the +Inf bucket: the highest finite bound
        return bounds[-2]
    if index == 0 and bounds[0] <= 0:
        return bounds[0]
    lower, count = 0.0, counts[index]
    if index > 0:
        lower = bounds[index - 1]
        count -= counts[index - 1]
        rank -= counts[index - 1]
    return lower + (bounds[index] - lower) * (rank / count)
