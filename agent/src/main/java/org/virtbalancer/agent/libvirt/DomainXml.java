package org.virtbalancer.agent.libvirt;

import org.virtbalancer.protocol.Check;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestState;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.virtbalancer.agent.libvirt.LibvirtXml.child;
import static org.virtbalancer.agent.libvirt.LibvirtXml.children;
import static org.virtbalancer.agent.libvirt.LibvirtXml.text;

/**
 * What the eligibility rules need from a libvirt domain XML ({@code virsh dumpxml}), read with the
 * JDK's DOM parser. State and persistence are not in the XML; {@link #descriptor} adds them.
 *
 * @param name                  domain name
 * @param uuid                  domain UUID
 * @param vcpus                 virtual CPUs: {@code current} when set, else the configured maximum
 * @param memoryMiB             configured memory ({@code <memory>}), rounded up to whole MiB
 * @param cpuMode               {@code custom}, {@code host-model}, {@code host-passthrough}…; empty without {@code <cpu>}
 * @param disks                 disks, CD-ROMs and floppies; only a {@code type='volume'} disk has a pool here,
 *                              and its source is the volume's name ({@link DiskLocations} finds its path)
 * @param hostDevices           passed-through host devices, e.g. {@code pci 0000:03:00.0} (incl. SR-IOV interfaces)
 * @param filesystemPassthrough whether a {@code <filesystem>} passes a host directory through
 * @param interfaceDevices      host-side names of the network interfaces ({@code <target dev>}), for traffic stats
 * @param labels                {@code <label key value>} elements in virt-balancer's metadata namespace
 */
public record DomainXml(String name, String uuid, int vcpus, long memoryMiB, String cpuMode, List<Disk> disks,
                        List<String> hostDevices, boolean filesystemPassthrough, List<String> interfaceDevices,
                        Map<String, String> labels) {
    /** Namespace of virt-balancer's {@code <metadata>} element. */
    public static final String METADATA_NAMESPACE = "https://virt-balancer.org/xmlns/1";
    private static final long MIB = 1024 * 1024;

    public DomainXml {
        disks = List.copyOf(disks);
        hostDevices = List.copyOf(hostDevices);
        interfaceDevices = List.copyOf(interfaceDevices);
        labels = Map.copyOf(labels);
    }

    /** The same guest with these disks (e.g. with their real paths, from {@link DiskLocations}). */
    DomainXml withDisks(List<Disk> located) {
        return new DomainXml(name, uuid, vcpus, memoryMiB, cpuMode, located, hostDevices, filesystemPassthrough,
                interfaceDevices, labels);
    }

    /** The guest as the protocol describes it. */
    public GuestDescriptor descriptor(GuestState state, boolean persistent) {
        return new GuestDescriptor(name, uuid, state, persistent, vcpus, memoryMiB, cpuMode, disks, hostDevices,
                filesystemPassthrough, labels);
    }

    /**
     * @throws IllegalArgumentException when the text is not a domain XML with a name
     */
    public static DomainXml parse(String xml) {
        Element domain = LibvirtXml.parse(xml, "domain XML", "pass the domain's XML as virsh dumpxml prints it");
        if (!"domain".equals(domain.getLocalName())) {
            throw new IllegalArgumentException("the XML's root element is <" + domain.getLocalName()
                    + ">, not <domain>: pass the output of virsh dumpxml");
        }
        String name = text(child(domain, "name"));
        if (name.isEmpty()) {
            throw new IllegalArgumentException("the domain XML has no <name>: pass a complete domain definition");
        }
        Element vcpu = child(domain, "vcpu");
        int vcpus = 1;
        if (vcpu != null) {
            String current = vcpu.getAttribute("current");
            vcpus = Math.max(1, parseInt(current.isEmpty() ? text(vcpu) : current, 1));
        }
        Element memory = child(domain, "memory");
        long memoryMiB = memory == null ? 1 : Math.max(1, ceilDiv(bytes(text(memory), memory.getAttribute("unit")), MIB));
        Element cpu = child(domain, "cpu");
        String cpuMode = cpu == null ? "" : cpu.getAttribute("mode").isEmpty() ? "custom" : cpu.getAttribute("mode");

        List<Disk> disks = new ArrayList<>();
        List<String> hostDevices = new ArrayList<>();
        List<String> interfaces = new ArrayList<>();
        boolean filesystem = false;
        Element devices = child(domain, "devices");
        if (devices != null) {
            for (Element e : children(devices, "disk")) {
                Disk d = disk(e);
                if (d != null) {
                    disks.add(d);
                }
            }
            for (Element e : children(devices, "hostdev")) {
                hostDevices.add(hostDevice(e));
            }
            for (Element e : children(devices, "interface")) {
                if ("hostdev".equals(e.getAttribute("type"))) {
                    // An SR-IOV virtual function handed to the guest: PCI passthrough under another name.
                    hostDevices.add(hostDevice(e));
                }
                Element target = child(e, "target");
                if (target != null && !target.getAttribute("dev").isEmpty()) {
                    interfaces.add(target.getAttribute("dev"));
                }
            }
            filesystem = !children(devices, "filesystem").isEmpty();
        }
        return new DomainXml(name, text(child(domain, "uuid")), vcpus, memoryMiB, cpuMode, disks, hostDevices, filesystem,
                interfaces, labels(child(domain, "metadata")));
    }

    private static Disk disk(Element e) {
        Element target = child(e, "target");
        String dev = target == null ? "" : target.getAttribute("dev");
        if (!Check.NAME.matcher(dev).matches()) {
            return null;
        }
        String device = e.getAttribute("device").isEmpty() ? "disk" : e.getAttribute("device");
        Element driver = child(e, "driver");
        Element source = child(e, "source");
        String path = "";
        String pool = "";
        if (source != null) {
            switch (e.getAttribute("type")) {
                case "block" -> path = source.getAttribute("dev");
                case "dir" -> path = source.getAttribute("dir");
                case "volume" -> {
                    path = source.getAttribute("volume");
                    pool = source.getAttribute("pool");
                }
                case "network" -> {
                    Element host = child(source, "host");
                    path = source.getAttribute("protocol") + "://" + (host == null ? "" : host.getAttribute("name"))
                            + "/" + source.getAttribute("name");
                }
                default -> path = source.getAttribute("file");
            }
        }
        // QEMU exposes every CD-ROM read-only, whether or not the XML says <readonly/>.
        boolean readOnly = child(e, "readonly") != null || "cdrom".equals(device);
        return new Disk(dev, device, target.getAttribute("bus"), driver == null ? "" : driver.getAttribute("cache"),
                path, pool, readOnly);
    }

    /** {@code pci 0000:03:00.0}, {@code usb 001:004} or {@code usb 0x046d:0xc52b}, {@code scsi host0:0:0:0}, {@code mdev <uuid>}. */
    private static String hostDevice(Element e) {
        String type = e.getAttribute("type");
        Element source = child(e, "source");
        Element address = source == null ? null : child(source, "address");
        if ("hostdev".equals(type) || "pci".equals(type)) {
            return "pci " + (address == null ? "unknown" : pciAddress(address));
        }
        if ("usb".equals(type)) {
            Element vendor = source == null ? null : child(source, "vendor");
            Element product = source == null ? null : child(source, "product");
            if (vendor != null && product != null) {
                return "usb " + vendor.getAttribute("id") + ":" + product.getAttribute("id");
            }
            return "usb " + (address == null ? "unknown" : pad(address.getAttribute("bus"), 3) + ":" + pad(address.getAttribute("device"), 3));
        }
        if ("scsi".equals(type)) {
            Element adapter = source == null ? null : child(source, "adapter");
            return "scsi " + (adapter == null ? "" : adapter.getAttribute("name")) + (address == null ? ""
                    : ":" + address.getAttribute("bus") + ":" + address.getAttribute("target") + ":" + address.getAttribute("unit"));
        }
        if ("mdev".equals(type)) {
            return "mdev " + (address == null ? "unknown" : address.getAttribute("uuid"));
        }
        return (type.isEmpty() ? e.getAttribute("mode") : type) + " device";
    }

    private static String pciAddress(Element a) {
        return String.format(Locale.ROOT, "%04x:%02x:%02x.%x", hex(a.getAttribute("domain")), hex(a.getAttribute("bus")),
                hex(a.getAttribute("slot")), hex(a.getAttribute("function")));
    }

    private static Map<String, String> labels(Element metadata) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (metadata == null) {
            return labels;
        }
        NodeList all = metadata.getElementsByTagNameNS(METADATA_NAMESPACE, "label");
        for (int i = 0; i < all.getLength(); i++) {
            Element l = (Element) all.item(i);
            String key = l.getAttribute("key");
            // A label an operator mistyped must not hide the guest from the balancer: it is left out.
            if (Check.NAME.matcher(key).matches() && l.getAttribute("value").length() <= Check.MAX_TEXT) {
                labels.put(key, l.getAttribute("value"));
            }
        }
        return labels;
    }

    static long bytes(String amount, String unit) {
        long value;
        try {
            value = Long.parseLong(amount.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("memory amount '" + amount + "' is not a whole number: fix the domain XML", e);
        }
        long factor = switch (unit == null ? "" : unit.strip()) {
            case "b", "bytes" -> 1L;
            case "", "k", "K", "KiB" -> 1024L;
            case "KB" -> 1000L;
            case "m", "M", "MiB" -> MIB;
            case "MB" -> 1_000_000L;
            case "g", "G", "GiB" -> MIB * 1024;
            case "GB" -> 1_000_000_000L;
            case "t", "T", "TiB" -> MIB * 1024 * 1024;
            case "TB" -> 1_000_000_000_000L;
            default -> throw new IllegalArgumentException("memory unit '" + unit + "' is not one libvirt knows: use KiB, MiB or GiB");
        };
        return Math.multiplyExact(value, factor);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static int parseInt(String s, int fallback) {
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static int hex(String s) {
        if (s == null || s.isEmpty()) {
            return 0;
        }
        String digits = s.startsWith("0x") || s.startsWith("0X") ? s.substring(2) : s;
        try {
            return Integer.parseInt(digits, s.length() == digits.length() ? 10 : 16);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String pad(String s, int width) {
        String digits = String.valueOf(hex(s));
        return "0".repeat(Math.max(0, width - digits.length())) + digits;
    }
}
