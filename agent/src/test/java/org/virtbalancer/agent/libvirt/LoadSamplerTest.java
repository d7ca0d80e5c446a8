package org.virtbalancer.agent.libvirt;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.GuestLoad;
import org.virtbalancer.protocol.HostLoad;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LoadSamplerTest {
    private static final long S = 1_000_000_000L;
    private static final long MIB = 1024 * 1024;

    private static LoadSampler.GuestReading guest(long cpuNs, long disk, long net, boolean running) {
        return new LoadSampler.GuestReading("web-1", "uuid-1", cpuNs, 2048, disk, net, 0, running);
    }

    @Test
    void firstSampleHasNoRatesYet() {
        HostLoad l = new LoadSampler().sample("host-a", 10_000, 8, new LoadSampler.HostReading(100 * S, 800 * S, 4096),
                List.of(guest(50 * S, 10 * MIB, 10 * MIB, true)), 0);
        assertEquals(0, l.cpuCores());
        assertEquals(4096, l.memoryMiB());
        assertEquals(List.of(new GuestLoad("web-1", 0, 2048, 0, 0, 0)), l.guests());
    }

    @Test
    void ratesAreDeltasOverTheTimeBetweenSamples() {
        LoadSampler sampler = new LoadSampler();
        sampler.sample("host-a", 10_000, 8, new LoadSampler.HostReading(100 * S, 800 * S, 4096),
                List.of(guest(50 * S, 10 * MIB, 10 * MIB, true)), 0);
        // 10 s later: the guest used 15 s of CPU, moved 50 MiB on disk and 20 MiB on the network;
        // the host's 8 CPUs were busy for 20 of 80 CPU-seconds.
        HostLoad l = sampler.sample("host-a", 10_000, 8, new LoadSampler.HostReading(120 * S, 880 * S, 5000),
                List.of(guest(65 * S, 60 * MIB, 30 * MIB, true)), 10 * S);
        GuestLoad g = l.guests().get(0);
        assertEquals(1.5, g.cpuCores(), 1e-9);
        assertEquals(5.0, g.diskMiBps(), 1e-9);
        assertEquals(2.0, g.netMiBps(), 1e-9);
        assertEquals(2.0, l.cpuCores(), 1e-9);
        assertEquals(5.0, l.diskMiBps(), 1e-9);
        assertEquals(5000, l.memoryMiB());
    }

    @Test
    void pausedGuestsAndRestartedCountersShowNoLoad() {
        LoadSampler sampler = new LoadSampler();
        sampler.sample("host-a", 1000, 4, new LoadSampler.HostReading(-1, -1, 0), List.of(guest(50 * S, 100, 100, true)), 0);
        HostLoad restarted = sampler.sample("host-a", 1000, 4, new LoadSampler.HostReading(-1, -1, 0),
                List.of(guest(1 * S, 0, 0, true)), S);
        assertEquals(0, restarted.guests().get(0).cpuCores());
        HostLoad paused = sampler.sample("host-a", 1000, 4, new LoadSampler.HostReading(-1, -1, 0),
                List.of(guest(9 * S, 100, 100, false)), 2 * S);
        assertEquals(0, paused.guests().get(0).cpuCores());
    }

    @Test
    void hostCpuFallsBackToTheGuestsWhenLibvirtHasNoNodeStats() {
        LoadSampler sampler = new LoadSampler();
        sampler.sample("host-a", 1000, 4, new LoadSampler.HostReading(-1, -1, 0), List.of(guest(0, 0, 0, true)), 0);
        HostLoad l = sampler.sample("host-a", 1000, 4, new LoadSampler.HostReading(-1, -1, 0), List.of(guest(S / 2, 0, 0, true)), S);
        assertEquals(0.5, l.cpuCores(), 1e-9);
    }
}
