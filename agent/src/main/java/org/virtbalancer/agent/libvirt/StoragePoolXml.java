package org.virtbalancer.agent.libvirt;

import org.virtbalancer.protocol.StoragePool;
import org.w3c.dom.Element;

import static org.virtbalancer.agent.libvirt.LibvirtXml.child;
import static org.virtbalancer.agent.libvirt.LibvirtXml.text;

/**
 * Reads a libvirt storage pool's XML ({@code virsh pool-dumpxml}) into the protocol's {@link StoragePool}.
 * Whether the pool is active is not in the XML; the caller passes it from the pool's info.
 */
final class StoragePoolXml {
    private StoragePoolXml() {}

    /**
     * The pool's name and type, {@code <target><path>}, the first {@code <source><host name>}, and
     * {@code <source><dir path>} or, for block-device pools (logical, disk, iSCSI), the first
     * {@code <source><device path>}.
     *
     * @throws IllegalArgumentException when the text is not a pool XML with a name and a type
     * @throws org.virtbalancer.protocol.InvalidMessageException when a value is one the protocol cannot carry
     */
    static StoragePool parse(String xml, boolean active) {
        Element pool = LibvirtXml.parse(xml, "storage pool XML", "pass the pool's XML as virsh pool-dumpxml prints it");
        if (!"pool".equals(pool.getLocalName())) {
            throw new IllegalArgumentException("the XML's root element is <" + pool.getLocalName()
                    + ">, not <pool>: pass the output of virsh pool-dumpxml");
        }
        String name = text(child(pool, "name"));
        String type = pool.getAttribute("type");
        if (name.isEmpty() || type.isEmpty()) {
            throw new IllegalArgumentException("the storage pool XML lacks a <name> or a type attribute:"
                    + " pass a complete pool definition as virsh pool-dumpxml prints it");
        }
        Element target = child(pool, "target");
        Element source = child(pool, "source");
        String sourceHost = "";
        String sourcePath = "";
        if (source != null) {
            Element host = child(source, "host");
            sourceHost = host == null ? "" : host.getAttribute("name").strip();
            Element dir = child(source, "dir");
            Element device = child(source, "device");
            if (dir != null && !dir.getAttribute("path").isBlank()) {
                sourcePath = dir.getAttribute("path").strip();
            } else if (device != null) {
                sourcePath = device.getAttribute("path").strip();
            }
        }
        return new StoragePool(name, type, text(target == null ? null : child(target, "path")), sourceHost, sourcePath, active);
    }
}
