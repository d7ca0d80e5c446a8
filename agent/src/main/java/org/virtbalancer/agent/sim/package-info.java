/**
 * The simulated driver: a {@link org.virtbalancer.agent.sim.SimulatedFabric} of hosts and guests in
 * one JVM, driven by real PlanetLab CPU traces, migrating by the pre-copy model. Used by the demo
 * and the tests in place of libvirt.
 */
package org.virtbalancer.agent.sim;
