#!/usr/bin/env python3
"""How much of the step-change overload any placement can avoid, and what it has to know.

Every 5-minute step, repack the whole cluster from scratch (unlimited migrations, taking no time):
guests largest first, each onto the host with the lowest predicted load + k standard deviations
of its guests' combined swings, under a 0.90 memory limit; then count the hosts whose CPU demand
in the NEXT step is above 90 % of their CPUs (the replay's overload yardstick, in a step's first
minute). The prediction is one of:

  online (what a balancer can know at the time):
    last sample       the step just seen (what a purely reactive balancer knows)
    weighted mean     each guest's exponentially weighted mean, 0.08 per step (tau = 60 min)
    + 1 sd            the weighted mean plus one standard deviation of the swings around it
  clairvoyant (reading the future; no balancer can do this, they are yardsticks):
    day mean + 1 sd   each guest's mean and spread over the whole day, known in advance
    15 min ahead      each guest's mean and spread over the 15 minutes either side of the step
    next step         the exact demand of the next step

The cluster is drawn exactly as `vbal replay` draws it (java.util.Random ported bit for bit, seed 1:
vCPUs 1/2/4/8, memory 1-16 GiB 35/30/20/10/5 %, 32-CPU 256 GiB hosts, as many hosts as put the
day's mean CPU at --mean-cpu), so the host and guest counts are the replay's. Needs python3 + numpy.

    python3 bench/repack_bound.py [--mean-cpu 0.7] /work/shared/traces/planetlab/20110303 /work/shared/traces/planetlab/20110306
"""
import argparse
import math
import os

import numpy as np

CPUS, MEMORY_GIB, OVERLOAD = 32, 256, 0.90
VCPUS = [1, 2, 4, 8]
MEMORY = [1, 2, 4, 8, 16]
MEMORY_WEIGHTS = [0.35, 0.30, 0.20, 0.10, 0.05]


class JavaRandom:
    """java.util.Random, bit for bit (ReplayCluster draws its guests from it)."""
    MULT, ADD, MASK = 0x5DEECE66D, 0xB, (1 << 48) - 1

    def __init__(self, seed):
        self.seed = (seed ^ self.MULT) & self.MASK

    def next(self, bits):
        self.seed = (self.seed * self.MULT + self.ADD) & self.MASK
        r = self.seed >> (48 - bits)
        return r - (1 << 32) if r >= (1 << 31) else r

    def next_int(self, bound):
        if bound & (bound - 1) == 0:
            return (bound * self.next(31)) >> 31
        while True:
            bits = self.next(31)
            val = bits % bound
            if bits - val + (bound - 1) < (1 << 31):
                return val

    def next_double(self):
        return ((self.next(26) << 27) + self.next(27)) * (1.0 / (1 << 53))


def draw(directory, seed, mean_cpu):
    """The replay's guests (ReplayCluster.drawGuests) and host count (hostsForMeanCpu)."""
    files = sorted(f for f in os.listdir(directory)
                   if not f.startswith(".") and os.path.isfile(os.path.join(directory, f)))
    traces = [np.array([int(s) for s in open(os.path.join(directory, f)).read().split()]) for f in files]
    traces = [t for t in traces if len(t)]
    steps = min(len(t) for t in traces)
    x = np.array([t[:steps] for t in traces], dtype=float)
    rng = JavaRandom(seed)
    vcpus, memory = [], []
    for _ in traces:
        vcpus.append(VCPUS[rng.next_int(len(VCPUS))])
        u, m, acc = rng.next_double(), 0, MEMORY_WEIGHTS[0]
        while u > acc and m < len(MEMORY_WEIGHTS) - 1:
            m += 1
            acc += MEMORY_WEIGHTS[m]
        rng.next_double()  # the dirty rate, unused here
        memory.append(MEMORY[m])
    vcpus, memory = np.array(vcpus), np.array(memory, dtype=float)
    cores = x * vcpus[:, None] / 100.0
    demand = float((vcpus * x.mean(axis=1) / 100.0).sum())
    hosts = max(1, int(math.floor(demand / (mean_cpu * CPUS) + 0.5)))
    return cores, memory, hosts


def repack(size, var, memory, hosts, k):
    load, spread, used = np.zeros(hosts), np.zeros(hosts), np.zeros(hosts)
    host = np.zeros(len(size), int)
    for g in np.argsort(-size, kind="stable"):
        score = load + size[g] + k * np.sqrt(spread + var[g])
        score[used + memory[g] > 0.9 * MEMORY_GIB] = np.inf
        h = int(np.argmin(score))
        host[g] = h
        load[h] += size[g]
        spread[h] += var[g]
        used[h] += memory[g]
    return host


def overloaded(host, demand, hosts):
    return int((np.bincount(host, weights=demand, minlength=hosts) > OVERLOAD * CPUS).sum())


def run(directory, seed, mean_cpu):
    cores, memory, hosts = draw(directory, seed, mean_cpu)
    n, steps = cores.shape
    results = {}
    weight = 0.08
    forecast, var = cores[:, 0].copy(), np.zeros(n)
    zero = np.zeros(n)
    day_mean, day_var = cores.mean(axis=1), cores.var(axis=1)
    for name in ("last sample", "weighted mean", "weighted mean + 1 sd",
                 "day mean + 1 sd (clairvoyant)", "15 min ahead (clairvoyant)", "next step (clairvoyant)"):
        results[name] = 0
    for t in range(steps - 1):
        if t > 0:
            var = weight * (cores[:, t] - forecast) ** 2 + (1 - weight) * var
            forecast = weight * cores[:, t] + (1 - weight) * forecast
        nxt = cores[:, t + 1]
        lo, hi = max(0, t + 1 - 3), min(steps, t + 1 + 4)
        local_mean, local_var = cores[:, lo:hi].mean(axis=1), cores[:, lo:hi].var(axis=1)
        placements = {
            "last sample": repack(cores[:, t], zero, memory, hosts, 0),
            "weighted mean": repack(forecast, zero, memory, hosts, 0),
            "weighted mean + 1 sd": repack(forecast, var, memory, hosts, 1),
            "day mean + 1 sd (clairvoyant)": repack(day_mean, day_var, memory, hosts, 1),
            "15 min ahead (clairvoyant)": repack(local_mean, local_var, memory, hosts, 1),
            "next step (clairvoyant)": repack(nxt, zero, memory, hosts, 0),
        }
        for name, host in placements.items():
            results[name] += overloaded(host, nxt, hosts)
    print(f"{os.path.basename(os.path.normpath(directory))}: {hosts} hosts, {n} guests, mean CPU {mean_cpu}")
    for name, count in results.items():
        print(f"  {name:32s} {count:5d} host-minutes over 90 % in a step's first minute")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mean-cpu", type=float, default=0.7)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("dirs", nargs="*", default=["/work/shared/traces/planetlab/20110303"])
    a = p.parse_args()
    for d in a.dirs:
        run(d, a.seed, a.mean_cpu)
