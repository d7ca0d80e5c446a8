package org.virtbalancer.agent.libvirt;

import org.w3c.dom.Element;

import static org.virtbalancer.agent.libvirt.LibvirtXml.child;
import static org.virtbalancer.agent.libvirt.LibvirtXml.text;

/**
 * The host part of libvirt's capabilities XML ({@code virsh capabilities}).
 *
 * @param arch     CPU architecture, e.g. {@code x86_64}
 * @param cpuModel host CPU model as libvirt names it, e.g. {@code Skylake-Client-IBRS}; empty when not reported
 * @param hostUuid the host UUID libvirt uses to refuse migrating a guest to its own host; empty when not reported
 */
record HostCapabilities(String arch, String cpuModel, String hostUuid) {
    static HostCapabilities parse(String xml) {
        Element root = LibvirtXml.parse(xml, "capabilities XML from libvirt", "check that the agent talks to a libvirt daemon");
        Element host = child(root, "host");
        Element cpu = host == null ? null : child(host, "cpu");
        return new HostCapabilities(text(cpu == null ? null : child(cpu, "arch")), text(cpu == null ? null : child(cpu, "model")),
                text(host == null ? null : child(host, "uuid")));
    }
}
