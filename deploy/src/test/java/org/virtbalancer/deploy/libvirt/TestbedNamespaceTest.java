package org.virtbalancer.deploy.libvirt;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Each test JVM, and each checkout, gets test-bed namespaces of its own. */
class TestbedNamespaceTest {
    @Test
    void theForkNumberAddsALetterToThePrefix() {
        assertEquals("vbt", LibvirtTestbed.namespacePrefix(null, null));
        assertEquals("vbta", LibvirtTestbed.namespacePrefix(null, "1"));
        assertEquals("vbtb", LibvirtTestbed.namespacePrefix(null, "2"));
        assertEquals("vbub", LibvirtTestbed.namespacePrefix("vbu", "2"));
    }

    @Test
    void unusablePrefixesAndForkNumbersFallBackToTheDefault() {
        assertEquals("vbt", LibvirtTestbed.namespacePrefix("Bad-NS", null), "not lower-case letters");
        assertEquals("vbta", LibvirtTestbed.namespacePrefix("abcdefgh", "1"), "8 letters leave no room for the fork's");
        assertEquals("vbu", LibvirtTestbed.namespacePrefix("vbu", ""), "no fork number (one test JVM)");
        assertEquals("vbu", LibvirtTestbed.namespacePrefix("vbu", "${surefire.forkNumber}"));
    }
}
