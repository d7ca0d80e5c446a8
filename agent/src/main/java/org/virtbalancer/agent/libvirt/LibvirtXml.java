package org.virtbalancer.agent.libvirt;

import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

/**
 * The JDK's DOM parser, hardened once for every XML document libvirt hands the agent (domains,
 * capabilities, storage pools), and the few lookups the readers share.
 */
final class LibvirtXml {
    private LibvirtXml() {}

    /**
     * Parses {@code xml} namespace-aware and returns its root element.
     *
     * @param what   names the document in error messages, e.g. {@code domain XML}
     * @param remedy what the caller should do about a broken document, e.g. {@code pass the output of virsh dumpxml}
     * @throws IllegalArgumentException when the text is empty or not well-formed XML
     */
    static Element parse(String xml, String what, String remedy) {
        if (xml == null || xml.isBlank()) {
            throw new IllegalArgumentException("the " + what + " is empty: " + remedy);
        }
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            // libvirt's XML never needs a DTD; refusing them rules out entity expansion tricks.
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            return b.parse(new InputSource(new StringReader(xml))).getDocumentElement();
        } catch (SAXException | IOException e) {
            throw new IllegalArgumentException("the " + what + " could not be parsed (" + e.getMessage() + "): " + remedy, e);
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser lacks secure processing: run on a standard Java 17 runtime", e);
        }
    }

    /** The first child element named {@code name}; null when there is none. */
    static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && name.equals(e.getLocalName())) {
                return e;
            }
        }
        return null;
    }

    static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && name.equals(e.getLocalName())) {
                out.add(e);
            }
        }
        return out;
    }

    /** The element's text, stripped; empty for a missing element. */
    static String text(Element e) {
        return e == null ? "" : e.getTextContent().strip();
    }
}
