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
