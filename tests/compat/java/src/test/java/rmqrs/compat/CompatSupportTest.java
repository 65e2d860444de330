package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checks of the suite's own helpers; needs no broker. */
@Tag(CompatSupport.OFFLINE)
class CompatSupportTest {
    @Test
    void namesrvComesFromTheSystemProperty() {
        // surefire passes -Dnamesrv (default 127.0.0.1:9876) to the forked JVM
        assertFalse(CompatSupport.namesrv().isBlank());
        assertTrue(CompatSupport.namesrv().contains(":"), CompatSupport.namesrv());
    }

    @Test
    void uniqueNamesAreValidAndDistinct() {
        String a = CompatSupport.uniqueTopic("Send/Receive");
        String b = CompatSupport.uniqueTopic("Send/Receive");
        assertNotEquals(a, b);
        assertTrue(a.matches("[%|a-zA-Z0-9_-]{1,127}"), a);
        assertTrue(CompatSupport.uniqueConsumerGroup("g").startsWith("compat_cg_g_"));
    }

    /** The official codec must agree with the expectations the interop generator writes. */
    @Test
    void interopFramesRoundTripThroughTheOfficialCodec(@TempDir Path dir) throws Exception {
        assertEquals(0, RemotingInterop.gen(dir.resolve("java")));
        try (var s = Files.list(dir.resolve("java"))) {
            assertTrue(s.count() >= 20);
        }
        assertEquals(0, RemotingInterop.check(dir.resolve("java")));
    }
}
