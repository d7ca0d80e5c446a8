package org.virtbalancer.agent.sim;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Real VM CPU traces: PlanetLab, 3 March 2011 (CoMon, as distributed with CloudSim), shipped in
 * {@value #RESOURCE}. Each trace is one VM's CPU utilisation in percent, every 5 minutes for 24 hours.
 */
public final class PlanetLabTraces {
    /** Samples per trace: 24 hours at one sample every {@link #SAMPLE_PERIOD}. */
    public static final int SAMPLES = 288;
    /** What one sample stands for in the original trace. */
    public static final Duration SAMPLE_PERIOD = Duration.ofMinutes(5);
    public static final String RESOURCE = "/traces/planetlab-20110303.csv";

    private static volatile PlanetLabTraces shipped;

    private final Map<String, int[]> traces;
    private final List<String> names;

    private PlanetLabTraces(Map<String, int[]> traces) {
        this.traces = traces;
        this.names = List.copyOf(traces.keySet());
    }

    /** The traces shipped in this jar, read once. */
    public static PlanetLabTraces shipped() {
        PlanetLabTraces t = shipped;
        if (t == null) {
            synchronized (PlanetLabTraces.class) {
                t = shipped;
                if (t == null) {
                    try (InputStream in = PlanetLabTraces.class.getResourceAsStream(RESOURCE)) {
                        if (in == null) {
                            throw new IllegalStateException("the trace resource " + RESOURCE
                                    + " is missing from the classpath: rebuild the agent module");
                        }
                        t = read(new InputStreamReader(in, StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot read " + RESOURCE, e);
                    }
                    shipped = t;
                }
            }
        }
        return t;
    }

    /** Reads traces in the shipped format: '#' comment lines, then {@code name,p0,…,p287} per line. */
    public static PlanetLabTraces read(Reader source) throws IOException {
        Map<String, int[]> traces = new LinkedHashMap<>();
        BufferedReader reader = new BufferedReader(source);
        String line;
        int lineNo = 0;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split(",");
            if (parts.length != SAMPLES + 1) {
                throw new IOException("line " + lineNo + " has " + (parts.length - 1) + " samples; expected " + SAMPLES);
            }
            int[] samples = new int[SAMPLES];
            for (int i = 0; i < SAMPLES; i++) {
                int v;
                try {
                    v = Integer.parseInt(parts[i + 1].trim());
                } catch (NumberFormatException e) {
                    throw new IOException("line " + lineNo + ", sample " + i + " is not a whole number: " + parts[i + 1]);
                }
                if (v < 0 || v > 100) {
                    throw new IOException("line " + lineNo + ", sample " + i + " is " + v + "; expected a percentage 0-100");
                }
                samples[i] = v;
            }
            traces.put(parts[0], samples);
        }
        if (traces.isEmpty()) {
            throw new IOException("no traces found");
        }
        return new PlanetLabTraces(Collections.unmodifiableMap(traces));
    }

    /** Trace names, in file order. */
    public List<String> names() {
        return names;
    }

    public int size() {
        return names.size();
    }

    /** The {@code i}-th trace's name, wrapping around, to hand distinct traces to many guests. */
    public String name(int i) {
        return names.get(Math.floorMod(i, names.size()));
    }

    public boolean contains(String name) {
        return traces.containsKey(name);
    }

    /** CPU percent of trace {@code name} at sample {@code index}, wrapping after {@value #SAMPLES} samples. */
    public int percent(String name, long index) {
        return trace(name)[(int) Math.floorMod(index, (long) SAMPLES)];
    }

    /** A copy of all samples of {@code name}. */
    public int[] samples(String name) {
        return trace(name).clone();
    }

    private int[] trace(String name) {
        int[] t = traces.get(name);
        if (t == null) {
            throw new IllegalArgumentException("there is no PlanetLab trace named '" + name
                    + "': pick one of PlanetLabTraces.names() (e.g. '" + names.get(0) + "')");
        }
        return t;
    }

    /** Trace names, for log lines. */
    @Override
    public String toString() {
        return "PlanetLabTraces[" + names.size() + " VMs]";
    }
}
