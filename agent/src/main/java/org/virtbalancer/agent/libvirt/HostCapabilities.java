package org.virtbalancer.agent.libvirt;

import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import java.io.StringReader;

/**
 * The host part of libvirt's capabilities XML ({@code virsh capabilities}).
 *
 * @param arch     CPU architecture, e.g. {@code x86_64}
 * @param cpuModel host CPU model as libvirt names it, e.g. {@code Skylake-Client-IBRS}; empty when not reported
 * @param hostUuid the host UUID libvirt uses to refuse migrating a guest to its own host; empty when not reported
 */
record HostCapabilities(String arch, String cpuModel, String hostUuid) {
    static HostCapabilities parse(String xml) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            var builder = f.newDocumentBuilder();
            builder.setErrorHandler(null);
            Element root = builder.parse(new InputSource(new StringReader(xml))).getDocumentElement();
            Element host = child(root, "host");
            Element cpu = host == null ? null : child(host, "cpu");
            return new HostCapabilities(text(cpu == null ? null : child(cpu, "arch")), text(cpu == null ? null : child(cpu, "model")),
                    text(host == null ? null : child(host, "uuid")));
        } catch (Exception e) {
            throw new IllegalArgumentException("libvirt's capabilities XML could not be read (" + e.getMessage()
                    + "): check that the agent talks to a libvirt daemon", e);
        }
    }

    private static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && name.equals(e.getNodeName())) {
                return e;
            }
        }
        return null;
    }

    private static String text(Element e) {
        return e == null ? "" : e.getTextContent().strip();
    }
}
