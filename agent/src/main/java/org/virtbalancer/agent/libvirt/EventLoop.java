package org.virtbalancer.agent.libvirt;

import org.libvirt.Library;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.locks.LockSupport;

/**
 * libvirt's default event loop, once per JVM: {@code virEventRegisterDefaultImpl} must run before
 * the first connection is opened, and one thread must keep running it for events, close callbacks
 * and keepalives to arrive.
 */
final class EventLoop {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);
    private static Thread thread;

    private EventLoop() {}

    /** Registers and starts the loop unless that was done already. */
    static synchronized void ensureRunning() throws LibvirtException {
        if (thread != null) {
            return;
        }
        NativeLibvirt.silenceDefaultErrorPrinting();
        Library.initEventLoop();
        thread = new Thread(EventLoop::run, "libvirt-event-loop");
        thread.setDaemon(true);
        thread.start();
    }

    private static void run() {
        while (true) {
            try {
                Library.runEventLoop();
            } catch (InterruptedException e) {
                LOG.info("libvirt event loop stopped: its thread was interrupted");
                return;
            } catch (LibvirtException | RuntimeException e) {
                // One failed iteration must not end event delivery for every driver in the JVM.
                LOG.warn("libvirt event loop iteration failed, continuing: {}", e.getMessage());
                // A short pause keeps a persistent failure from spinning a core and flooding the log.
                LockSupport.parkNanos(100_000_000L);
            }
        }
    }
}
