/**
 * The libvirt hypervisor driver: {@link org.virtbalancer.agent.libvirt.LibvirtDriver} with its
 * {@link org.virtbalancer.agent.libvirt.LibvirtDriverConfig}, through libvirt-java 0.5.4 (JNA) and,
 * for the few calls that binding lacks, libvirt's C functions directly.
 */
package org.virtbalancer.agent.libvirt;
