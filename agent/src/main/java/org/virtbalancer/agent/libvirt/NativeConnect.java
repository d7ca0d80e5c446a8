package org.virtbalancer.agent.libvirt;

import com.sun.jna.Pointer;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/** A libvirt-java connection that also hands out its C pointer, for the calls in {@link NativeLibvirt}. */
final class NativeConnect extends Connect {
    NativeConnect(String uri) throws LibvirtException {
        super(uri);
    }

    /** The {@code virConnectPtr}; null once closed. */
    Pointer pointer() {
        return vcp == null ? null : vcp.getPointer();
    }
}
