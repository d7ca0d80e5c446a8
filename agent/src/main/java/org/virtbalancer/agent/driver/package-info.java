/**
 * The hypervisor driver SPI: the only way the agent touches a hypervisor. A libvirt driver and
 * the simulated driver ({@code org.virtbalancer.agent.sim}) implement it.
 */
package org.virtbalancer.agent.driver;
