package org.virtbalancer.balancer.detect;

import org.junit.jupiter.api.Test;
import org.virtbalancer.balancer.model.Projection;
import org.virtbalancer.balancer.model.Utilisation;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OverloadDetectorTest {
    private final OverloadDetector detector = new OverloadDetector(0.85, 0.70, 3, 5);

    private static Utilisation cpu(double load) {
        return new Utilisation(10, 1000, load * 10, 100);
    }

    @Test
    void flagsAHostOnlyWhenKOfTheLastNSamplesAreHot() {
        assertFalse(detector.observe("h1", cpu(0.90)));
        assertFalse(detector.observe("h1", cpu(0.80)));
        assertFalse(detector.observe("h1", cpu(0.95)));
        assertTrue(detector.observe("h1", cpu(0.92)), "third hot sample of four");
        assertEquals("h1 cpu 0.92 > 0.85 for 3 of 5 samples", detector.reason("h1"));
    }

    @Test
    void hotSamplesOutsideTheWindowDoNotCount() {
        detector.observe("h1", cpu(0.90));
        detector.observe("h1", cpu(0.90));
        for (int i = 0; i < 4; i++) {
            detector.observe("h1", cpu(0.80));
        }
        assertFalse(detector.observe("h1", cpu(0.90)), "the first two hot samples have left the window of 5");
    }

    @Test
    void memoryAboveTheWatermarkCountsAsHot() {
        Utilisation memoryHot = new Utilisation(10, 1000, 1, 900);
        detector.observe("h1", memoryHot);
        detector.observe("h1", memoryHot);
        assertTrue(detector.observe("h1", memoryHot));
        assertTrue(detector.reason("h1").startsWith("h1 memory 0.90 > 0.85"));
    }

    @Test
    void memoryHasItsOwnMarks() {
        // CPU 0.85 / 0.70, memory 0.90 / 0.85: a host 80% full of guests' memory is neither hot nor kept hot.
        OverloadDetector marks = new OverloadDetector(0.85, 0.70, 0.90, 0.85, 3, 5);
        Utilisation full = new Utilisation(10, 1000, 1, 880);
        for (int i = 0; i < 5; i++) {
            assertFalse(marks.observe("h1", full), "0.88 of memory is under the 0.90 memory watermark");
        }
        Utilisation cpuHotMemoryFull = new Utilisation(10, 1000, 9, 800);
        for (int i = 0; i < 3; i++) {
            marks.observe("h1", cpuHotMemoryFull);
        }
        assertTrue(marks.isOverloaded("h1"));
        assertFalse(marks.observe("h1", new Utilisation(10, 1000, 6, 800)),
                "CPU under its low mark and memory 0.80 under 0.85 clear it; memory need not fall under 0.70");
        Utilisation memoryHot = new Utilisation(10, 1000, 1, 950);
        for (int i = 0; i < 3; i++) {
            marks.observe("h1", memoryHot);
        }
        assertEquals("h1 memory 0.95 > 0.90 for 3 of 5 samples", marks.reason("h1"));
        assertTrue(marks.observe("h1", new Utilisation(10, 1000, 1, 870)), "0.87 is not yet under 0.85");
        assertFalse(marks.observe("h1", new Utilisation(10, 1000, 1, 840)));
    }

    @Test
    void anOverloadedHostClearsOnlyBelowTheLowWatermark() {
        for (int i = 0; i < 3; i++) {
            detector.observe("h1", cpu(0.90));
        }
        assertTrue(detector.observe("h1", cpu(0.80)), "between the watermarks it stays overloaded");
        assertTrue(detector.observe("h1", cpu(0.70)), "at the low watermark it stays overloaded");
        assertFalse(detector.observe("h1", cpu(0.65)), "below the low watermark it clears");
        assertEquals("", detector.reason("h1"));
        assertFalse(detector.observe("h1", cpu(0.90)), "after clearing it takes k fresh hot samples again");
        assertFalse(detector.observe("h1", cpu(0.90)));
        assertTrue(detector.observe("h1", cpu(0.90)));
    }

    @Test
    void imbalanceIsThePopulationStandardDeviation() {
        assertEquals(0.0, Projection.standardDeviation(List.of(0.5, 0.5)), 1e-9);
        assertEquals(0.2, Projection.standardDeviation(List.of(0.2, 0.6)), 1e-9);
        assertEquals(0.0, Projection.standardDeviation(List.of()), 1e-9);
    }
}
