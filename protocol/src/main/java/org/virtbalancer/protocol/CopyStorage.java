package org.virtbalancer.protocol;

/** Whether and how disks are copied along with memory ({@code --copy-storage-all/-inc}). */
public enum CopyStorage { NONE, ALL, INCREMENTAL }
