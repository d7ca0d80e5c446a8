package org.virtbalancer.balancer.execute;

/** Why a migration was issued; maintenance moves ignore cooldowns, balancing moves do not. */
public enum Purpose { BALANCING, MAINTENANCE }
