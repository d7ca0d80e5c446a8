package org.virtbalancer.protocol;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreCopyModelTest {
    @Test
    void idleGuestConvergesAfterOneFullCopy() {
        var p = PreCopyModel.live(4096, 0, 1024, 300, false, false);
        assertTrue(p.converges());
        assertEquals(4096, p.transferredMiB(), 1e-6);
        assertEquals(4000, p.durationMs(), 1e-6);
        assertEquals(0, p.downtimeMs(), 1e-6);
    }

    @Test
    void dirtyingGuestNeedsMoreRoundsAndCopiesMore() {
        var p = PreCopyModel.live(4096, 200, 1024, 300, false, false);
        assertTrue(p.converges());
        assertTrue(p.rounds() > 1);
        assertTrue(p.transferredMiB() > 4096);
        assertTrue(p.downtimeMs() <= 300);
    }

    @Test
    void guestDirtyingFasterThanTheLinkDoesNotConvergeAndSaysWhy() {
        var p = PreCopyModel.live(4096, 2000, 1024, 300, false, false);
        assertFalse(p.converges());
        assertTrue(p.reason().contains("does not converge"), p.reason());
    }

    @Test
    void autoConvergeAndPostCopyRescueAHotGuest() {
        assertTrue(PreCopyModel.live(4096, 2000, 1024, 300, true, false).converges());
        assertTrue(PreCopyModel.live(4096, 2000, 1024, 300, false, true).converges());
    }

    @Test
    void nonLivePausesForTheWholeCopy() {
        var p = PreCopyModel.nonLive(2048, 1024);
        assertEquals(2000, p.downtimeMs(), 1e-6);
        assertEquals(p.durationMs(), p.downtimeMs(), 1e-6);
    }
}
