package org.virtbalancer.agent.sim;

/** Where a simulated guest's CPU load comes from. */
public sealed interface CpuSource {
    /** Always the same number of cores busy. */
    record Constant(double cores) implements CpuSource {
        public Constant {
            if (!Double.isFinite(cores) || cores < 0) {
                throw new IllegalArgumentException("constant CPU must be a finite number of cores >= 0, got " + cores);
            }
        }
    }

    /**
     * A PlanetLab trace: cores = vcpus × percent / 100 at the current sample.
     *
     * @param name   trace name from {@link PlanetLabTraces#names()}
     * @param offset samples to skip, so guests sharing a trace do not move in lockstep
     */
    record Trace(String name, int offset) implements CpuSource {
        public Trace {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a trace CPU source needs a trace name from PlanetLabTraces.names()");
            }
        }
    }

    static CpuSource constant(double cores) {
        return new Constant(cores);
    }

    static CpuSource trace(String name, int offset) {
        return new Trace(name, offset);
    }
}
