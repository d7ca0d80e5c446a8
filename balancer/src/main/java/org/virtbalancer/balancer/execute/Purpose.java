package org.virtbalancer.balancer.execute;

/**
 * Why a migration was issued; maintenance moves ignore cooldowns, balancing moves do not. A manual
 * move is one an operator asked for ({@code vbal migrate}): it leaves the guest in cooldown like any other.
 */
public enum Purpose { BALANCING, MAINTENANCE, MANUAL }
