#!/usr/bin/env python3
"""An optimistic bound for overload in the minute a trace step changes.

Every 5-minute step, repack the whole cluster from scratch (unlimited migrations, taking no time)
by greedy largest-first onto the host with the least predicted load, under a 0.90 memory limit,
then count the hosts whose CPU demand in the NEXT step is above 90 % of their CPUs. The prediction
is either the last sample (what a purely reactive balancer knows) or a guest's exponentially
weighted mean (0.08 per step, τ = 60 min) plus k standard deviations of its swings. No balancer
that moves guests incrementally can do better than this kind of repack by much; it shows how much of
the step-change overload any placement can avoid, and what it needs to know.

Guests are drawn as ReplayCluster does (vCPUs 1/2/4/8, memory 1-16 GiB 35/30/20/10/5 %; 32-CPU,
256 GiB hosts; as many hosts as put mean CPU at 0.7) but from numpy's generator, so the draws and
host counts differ a little from the Java replay's. Needs python3 with numpy.

    python3 bench/repack_bound.py /work/shared/traces/planetlab/20110303 /work/shared/traces/planetlab/20110306
"""
import os
import sys

import numpy as np

CPUS, MEMORY_GIB = 32, 256


def run(directory, seed=1, mean_cpu=0.7):
    rng = np.random.default_rng(seed)
    x = np.array([np.loadtxt(os.path.join(directory, f)) for f in sorted(os.listdir(directory))])
    n, steps = x.shape
    vcpus = rng.choice([1, 2, 4, 8], size=n)
    mem = rng.choice([1, 2, 4, 8, 16], p=[.35, .3, .2, .1, .05], size=n)
    cores = x * vcpus[:, None] / 100.0
    hosts = int(round(cores.sum(axis=0).mean() / (mean_cpu * CPUS)))
    for label, weight, k in (("last sample", 1.0, 0), ("EWMA", 0.08, 0), ("EWMA + 1 sd", 0.08, 1)):
        forecast = cores[:, 0].copy()
        var = np.zeros(n)
        overload = 0
        for t in range(steps - 1):
            if t > 0 and weight < 1:
                var = weight * (cores[:, t] - forecast) ** 2 + (1 - weight) * var
                forecast = weight * cores[:, t] + (1 - weight) * forecast
            elif weight == 1:
                forecast = cores[:, t]
            load, hv, hm = np.zeros(hosts), np.zeros(hosts), np.zeros(hosts)
            host = np.zeros(n, int)
            for g in np.argsort(-forecast):
                score = load + forecast[g] + k * np.sqrt(hv + var[g])
                score[hm + mem[g] > 0.9 * MEMORY_GIB] = np.inf
                h = int(np.argmin(score))
                host[g] = h
                load[h] += forecast[g]
                hv[h] += var[g]
                hm[h] += mem[g]
            demand = np.bincount(host, weights=cores[:, t + 1], minlength=hosts)
            overload += int((demand > 0.9 * CPUS).sum())
        print(f"{os.path.basename(directory)} {hosts} hosts, predicted by {label:12s}: "
              f"{overload} host-minutes over 90 % in a step's first minute")


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["/work/shared/traces/planetlab/20110303"]:
        run(arg)
