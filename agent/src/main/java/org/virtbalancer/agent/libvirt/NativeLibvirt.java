package org.virtbalancer.agent.libvirt;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The few libvirt C functions libvirt-java 0.5.4 does not wrap, called through JNA on the same
 * {@code libvirt.so.0}: node CPU and memory statistics, and the switch to post-copy.
 */
final class NativeLibvirt {
    /** {@code VIR_NODE_CPU_STATS_ALL_CPUS} and {@code VIR_NODE_MEMORY_STATS_ALL_CELLS}. */
    private static final int ALL = -1;
    /** {@code sizeof(virNodeCPUStats)} = {@code sizeof(virNodeMemoryStats)}: char field[80] + unsigned long long. */
    private static final int STAT_SIZE = 88;
    private static final int FIELD_LENGTH = 80;

    interface Functions extends Library {
        int virNodeGetCPUStats(Pointer conn, int cpuNum, Pointer params, IntByReference nparams, int flags);

        int virNodeGetMemoryStats(Pointer conn, int cellNum, Pointer params, IntByReference nparams, int flags);

        Pointer virDomainLookupByUUIDString(Pointer conn, String uuid);

        int virDomainMigrateStartPostCopy(Pointer domain, int flags);

        int virDomainFree(Pointer domain);

        String virGetLastErrorMessage();

        void virSetErrorFunc(Pointer userData, ErrorFunc handler);
    }

    /** {@code virErrorFunc}. */
    interface ErrorFunc extends com.sun.jna.Callback {
        void invoke(Pointer userData, Pointer error);
    }

    /** Held for the JVM's lifetime: libvirt keeps calling it. */
    private static final ErrorFunc SILENT = (userData, error) -> { };

    private static final class Holder {
        static final Functions C = Native.load("virt", Functions.class);
    }

    private NativeLibvirt() {}

    /**
     * Stops libvirt printing every error to stderr: the driver reports each one itself, with what to
     * do, and expected ones (a domain gone after migrating away) would only alarm operators.
     */
    static void silenceDefaultErrorPrinting() {
        Holder.C.virSetErrorFunc(null, SILENT);
    }

    /** Cumulative node CPU times in ns ({@code kernel}, {@code user}, {@code idle}, {@code iowait}, …). */
    static Map<String, Long> nodeCpuStats(Pointer conn) throws NativeException {
        return stats(conn, true);
    }

    /** Node memory in KiB ({@code total}, {@code free}, {@code buffers}, {@code cached}). */
    static Map<String, Long> nodeMemoryStats(Pointer conn) throws NativeException {
        return stats(conn, false);
    }

    /** {@code virDomainMigrateStartPostCopy} on the domain of that UUID. */
    static void startPostCopy(Pointer conn, String uuid) throws NativeException {
        Pointer dom = Holder.C.virDomainLookupByUUIDString(conn, uuid);
        if (dom == null) {
            throw new NativeException(lastError());
        }
        try {
            if (Holder.C.virDomainMigrateStartPostCopy(dom, 0) < 0) {
                throw new NativeException(lastError());
            }
        } finally {
            Holder.C.virDomainFree(dom);
        }
    }

    private static Map<String, Long> stats(Pointer conn, boolean cpu) throws NativeException {
        IntByReference n = new IntByReference(0);
        if (call(conn, cpu, null, n) < 0) {
            throw new NativeException(lastError());
        }
        Map<String, Long> out = new LinkedHashMap<>();
        if (n.getValue() <= 0) {
            return out;
        }
        Memory params = new Memory((long) n.getValue() * STAT_SIZE);
        params.clear();
        if (call(conn, cpu, params, n) < 0) {
            throw new NativeException(lastError());
        }
        for (int i = 0; i < n.getValue(); i++) {
            long base = (long) i * STAT_SIZE;
            byte[] field = params.getByteArray(base, FIELD_LENGTH);
            int len = 0;
            while (len < field.length && field[len] != 0) {
                len++;
            }
            out.put(new String(field, 0, len, java.nio.charset.StandardCharsets.US_ASCII), params.getLong(base + FIELD_LENGTH));
        }
        return out;
    }

    private static int call(Pointer conn, boolean cpu, Pointer params, IntByReference n) {
        return cpu ? Holder.C.virNodeGetCPUStats(conn, ALL, params, n, 0) : Holder.C.virNodeGetMemoryStats(conn, ALL, params, n, 0);
    }

    private static String lastError() {
        String m = Holder.C.virGetLastErrorMessage();
        return m == null ? "unknown libvirt error" : m;
    }

    /** A libvirt C call failed; the message is libvirt's own. */
    static final class NativeException extends Exception {
        NativeException(String message) {
            super(message);
        }
    }
}
