package org.virtbalancer.deploy.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DurationConverterTest {
    private final DurationConverter converter = new DurationConverter();

    @Test
    void readsTheShortFormsAndIso() {
        assertEquals(Duration.ofMillis(500), converter.convert("500ms"));
        assertEquals(Duration.ofMinutes(90), converter.convert("90m"));
        assertEquals(Duration.ofDays(7), converter.convert("7d"));
        assertEquals(Duration.ofSeconds(90), converter.convert("PT1M30S"));
        assertEquals(DurationConverter.MAX, converter.convert("3650d"));
    }

    @Test
    void refusesDurationsThatWouldOverflowWithASentenceNotAnArithmeticError() {
        // Found by fuzzing: "999999999999h" was read, and its nanoseconds overflowed in --wait's deadline.
        for (String huge : new String[]{"999999999999h", "P9999999999D", "99999999999999999999999s", "3651d"}) {
            TypeConversionException e = assertThrows(TypeConversionException.class, () -> converter.convert(huge), huge);
            assertTrue(e.getMessage().contains("longer than 3650 days"), e.getMessage());
        }
    }

    @Test
    void refusesNegativeDurations() {
        TypeConversionException e = assertThrows(TypeConversionException.class, () -> converter.convert("PT-5M"));
        assertTrue(e.getMessage().contains("is negative"), e.getMessage());
    }
}
