package org.virtbalancer.balancer;

import org.virtbalancer.balancer.core.Action;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestLoad;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.MaintenanceStatus;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.PlanDecision;
import org.virtbalancer.protocol.QemuIdentity;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.StoragePool;

import java.util.List;
import java.util.Map;

/** Hosts, guests, samples and action filters for tests. */
public final class Fixtures {
    public static final int CPUS = 16;
    public static final long MEMORY_MIB = 65_536;
    /** Every fixture host reaches the same NFS export, as the simulated hosts do. */
    public static final StoragePool SHARED_POOL = new StoragePool("shared", "netfs", "/var/lib/libvirt/images/shared",
            "storage.sim", "/export/images", true);
    public static final QemuIdentity QEMU = new QemuIdentity(64055, Map.of("kvm", 994L, "libvirt", 995L));

    private Fixtures() {}

    public static HostFacts host(String name) {
        return new HostFacts(name, "x86_64", "Skylake", CPUS, MEMORY_MIB, 1000, "simulated", "9.0.0", "7.2.0",
                "10.0.0.0/24", "10.0.0.1", "qemu+tcp://" + name + "/system", Map.of(),
                List.of(SHARED_POOL), QEMU);
    }

    public static HostFacts host(String name, String arch, String libvirt, String subnet) {
        return new HostFacts(name, arch, "Skylake", CPUS, MEMORY_MIB, 1000, "simulated", libvirt, "7.2.0", subnet,
                "10.0.0.1", "qemu+tcp://" + name + "/system", Map.of(), List.of(SHARED_POOL), QEMU);
    }

    public static GuestDescriptor guest(String name, GuestState state) {
        return guest(name, state, 4096, Map.of());
    }

    public static GuestDescriptor guest(String name, GuestState state, long memoryMiB, Map<String, String> labels) {
        return new GuestDescriptor(name, "uuid-" + name, state, true, 2, memoryMiB, "custom", List.of(), List.of(),
                false, labels);
    }

    public static GuestLoad guestLoad(String name, double cores) {
        return new GuestLoad(name, cores, 2048, 10, 1, 1);
    }

    public static GuestLoad guestLoad(String name, double cores, double dirtyMiBps) {
        return new GuestLoad(name, cores, 2048, dirtyMiBps, 1, 1);
    }

    public static HostLoad load(String host, double cores, GuestLoad... guests) {
        return new HostLoad(host, 10_000, cores, 8192, 10, 10, List.of(guests));
    }

    public static CommandResult result(Action.SendMigrate m, ResultStatus status, String reason) {
        return new CommandResult(m.commandId(), m.migrate().source(), m.migrate().guest(), status,
                status == ResultStatus.SUCCEEDED ? 100 : 0, reason, MigrationStats.NONE);
    }

    public static List<Action.SendMigrate> migrations(List<Action> actions) {
        return actions.stream().filter(Action.SendMigrate.class::isInstance).map(Action.SendMigrate.class::cast).toList();
    }

    public static List<Action.SendAbort> aborts(List<Action> actions) {
        return actions.stream().filter(Action.SendAbort.class::isInstance).map(Action.SendAbort.class::cast).toList();
    }

    public static List<PlanDecision> plans(List<Action> actions) {
        return actions.stream().filter(Action.PublishDecision.class::isInstance)
                .map(a -> ((Action.PublishDecision) a).decision())
                .filter(PlanDecision.class::isInstance).map(PlanDecision.class::cast).toList();
    }

    public static List<MaintenanceStatus> statuses(List<Action> actions) {
        return actions.stream().filter(Action.PublishDecision.class::isInstance)
                .map(a -> ((Action.PublishDecision) a).decision())
                .filter(MaintenanceStatus.class::isInstance).map(MaintenanceStatus.class::cast).toList();
    }
}
