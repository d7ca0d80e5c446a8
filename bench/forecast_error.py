#!/usr/bin/env python3
"""How well can a guest's next 5-minute CPU sample be predicted from its past?

Reads a trace directory in the format of ../shared/traces (one file per VM, one CPU percentage
per 5-minute step) and prints, over all VMs and steps from the 21st on, the mean squared error of
predicting the next step with the last sample and with exponentially weighted means of several
weights per step, the correlation of consecutive changes, and the autocorrelation of each VM's
samples around its own day mean (averaged over VMs that move at all): near zero means the samples
are noise around a level, and no forecast from the past can do much better than the level.
Needs python3 with numpy.

    python3 bench/forecast_error.py /work/shared/traces/planetlab/20110303
"""
import os
import sys

import numpy as np


def main(directory):
    x = np.array([np.loadtxt(os.path.join(directory, f)) for f in sorted(os.listdir(directory))])
    vms, steps = x.shape
    nxt = x[:, 21:]
    print(f"{os.path.basename(directory)}: {vms} VMs x {steps} steps, mean CPU {x.mean():.1f} %")
    print(f"  last sample              MSE {((nxt - x[:, 20:-1]) ** 2).mean():6.1f}")
    for weight in (0.03, 0.05, 0.08, 0.1, 0.15, 0.3, 0.5):
        ewma = np.empty_like(x)
        ewma[:, 0] = x[:, 0]
        for t in range(1, steps):
            ewma[:, t] = weight * x[:, t] + (1 - weight) * ewma[:, t - 1]
        tau = -5 / np.log(1 - weight)
        print(f"  EWMA {weight:4.2f}/step (τ {tau:5.0f} min) MSE {((nxt - ewma[:, 20:-1]) ** 2).mean():6.1f}")
    d = np.diff(x, axis=1)
    print(f"  corr(change, next change) {np.corrcoef(d[:, :-1].ravel(), d[:, 1:].ravel())[0, 1]:.2f}")
    z = x - x.mean(axis=1, keepdims=True)
    var = (z ** 2).mean(axis=1)
    z, var = z[var > 1], var[var > 1]
    lags = (1, 2, 3, 6, 12, 24, 72)
    acf = [((z[:, lag:] * z[:, :-lag]).mean(axis=1) / var).mean() for lag in lags]
    print("  autocorrelation around the day mean, lag in steps: "
          + ", ".join(f"{lag}: {a:.2f}" for lag, a in zip(lags, acf)))


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["/work/shared/traces/planetlab/20110303"]:
        main(arg)
