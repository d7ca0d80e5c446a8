package org.virtbalancer.protocol;

/**
 * One disk, CD-ROM or floppy of a guest, from its domain XML.
 *
 * @param target   guest device name, e.g. {@code vda}
 * @param device   {@code disk}, {@code cdrom} or {@code floppy}
 * @param bus      {@code virtio}, {@code scsi}, {@code sata}, {@code ide}, …
 * @param cache    cache mode, e.g. {@code none}, {@code writeback}; empty when the default
 * @param source   path of the image or device; empty for an empty drive
 * @param pool     storage pool holding {@code source}; empty when unknown
 * @param readOnly whether the medium is read-only
 */
public record Disk(String target, String device, String bus, String cache, String source, String pool, boolean readOnly) {
    public Disk {
        Check.name("target", target);
        Check.name("device", device);
        bus = Check.optionalText("bus", bus);
        cache = Check.optionalText("cache", cache);
        source = Check.optionalText("source", source);
        pool = Check.optionalText("pool", pool);
    }
}
