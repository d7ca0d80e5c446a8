package org.virtbalancer.balancer.replay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One day of a CPU trace read from a directory: one file per VM, one integer CPU percentage per
 * line at a fixed step (PlanetLab: 288 lines, 5 minutes apart). Files are taken in name order so
 * a seed always pairs the same VM with the same drawn memory and dirty rate.
 *
 * @param name  the directory's name, e.g. {@code 20110303}
 * @param vms   one trace per VM file
 * @param steps how many steps every trace has (the shortest file decides)
 */
public record TraceSet(String name, List<VmTrace> vms, int steps) {
    /** Minutes between two trace values. */
    public static final int STEP_MINUTES = 5;

    /**
     * One VM's CPU use over the day.
     *
     * @param vm      the file name
     * @param percent CPU use in percent of the VM's vCPUs, one value per step
     */
    public record VmTrace(String vm, int[] percent) {
        public VmTrace {
            percent = percent.clone();
        }

        public int at(int step) {
            return percent[Math.min(step, percent.length - 1)];
        }

        public double mean(int steps) {
            long sum = 0;
            for (int i = 0; i < steps; i++) {
                sum += at(i);
            }
            return steps == 0 ? 0 : (double) sum / steps;
        }
    }

    public TraceSet {
        vms = List.copyOf(vms);
    }

    public int minutes() {
        return steps * STEP_MINUTES;
    }

    /** Reads every regular file of the directory; blank lines are skipped, anything else must be an integer 0-100. */
    public static TraceSet read(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("trace directory " + dir + " does not exist or is not a directory; pass"
                    + " --trace with a folder holding one CPU trace file per VM, e.g. /work/shared/traces/planetlab/20110303.");
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted().toList();
        }
        List<VmTrace> vms = new ArrayList<>();
        int steps = Integer.MAX_VALUE;
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file);
            int[] values = new int[lines.size()];
            int n = 0;
            for (String line : lines) {
                String s = line.trim();
                if (s.isEmpty()) {
                    continue;
                }
                int v;
                try {
                    v = Integer.parseInt(s);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(file + " line " + (n + 1) + " reads '" + s + "', not a CPU"
                            + " percentage; a trace file holds one integer 0-100 per line.");
                }
                if (v < 0 || v > 100) {
                    throw new IllegalArgumentException(file + " line " + (n + 1) + " holds " + v
                            + ", outside 0-100; a trace file holds CPU percentages.");
                }
                values[n++] = v;
            }
            if (n == 0) {
                continue;
            }
            int[] trimmed = new int[n];
            System.arraycopy(values, 0, trimmed, 0, n);
            vms.add(new VmTrace(file.getFileName().toString(), trimmed));
            steps = Math.min(steps, n);
        }
        if (vms.isEmpty()) {
            throw new IllegalArgumentException("trace directory " + dir + " holds no trace files; put one file per VM"
                    + " in it with one CPU percentage per line (the PlanetLab layout), or point --trace at such a folder.");
        }
        return new TraceSet(dir.getFileName() == null ? dir.toString() : dir.getFileName().toString(), vms, steps);
    }
}
