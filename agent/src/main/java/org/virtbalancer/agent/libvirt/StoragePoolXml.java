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
     * The pool's name and type, {@code <target><path>}, the first {@code <source><host name>}, and as the
     * source path {@code <source><dir path>}; for block-device pools (logical, disk, iSCSI) the first
     * {@code <source><device path>}; for pools that name their source (RBD: the Ceph pool) {@code <source><name>};
     * for a native GlusterFS pool the volume name followed by the directory, when not the volume's root.
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
            String dirPath = dir == null ? "" : dir.getAttribute("path").strip();
            String sourceName = text(child(source, "name"));
            if ("gluster".equals(type) && !sourceName.isEmpty()) {
                // Two native GlusterFS pools on one server differ by volume (and directory), not by dir path alone.
                sourcePath = sourceName + (dirPath.isEmpty() || dirPath.equals("/") ? ""
                        : dirPath.startsWith("/") ? dirPath : "/" + dirPath);
            } else if (!dirPath.isEmpty()) {
                sourcePath = dirPath;
            } else if (device != null) {
                sourcePath = device.getAttribute("path").strip();
            } else {
                sourcePath = sourceName;
            }
        }
        return new StoragePool(name, type, text(target == null ? null : child(target, "path")), sourceHost, sourcePath, active);
    }
}
