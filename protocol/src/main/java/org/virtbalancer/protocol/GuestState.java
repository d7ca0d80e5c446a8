package org.virtbalancer.protocol;

/** libvirt's domain states as far as migration cares. */
public enum GuestState {
    RUNNING, PAUSED, SHUTOFF, CRASHED, MIGRATING;

    /** Whether the guest has a running QEMU process (live and non-live migration apply). */
    public boolean isActive() {
        return this == RUNNING || this == PAUSED || this == MIGRATING;
    }
}
