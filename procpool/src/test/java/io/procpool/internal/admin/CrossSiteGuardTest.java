package io.procpool.internal.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class CrossSiteGuardTest {

    private static Optional<String> refusal(String host, String origin, String site, boolean header) {
        return CrossSiteGuard.refusal(Optional.ofNullable(host), Optional.ofNullable(origin), Optional.ofNullable(site), header);
    }

    @Test
    void aProgramsRequestWithoutBrowserHeadersIsLeftToTheToken() {
        assertEquals(Optional.empty(), refusal("127.0.0.1:9900", null, null, false));
    }

    @Test
    void aSameOriginRequestWithTheHeaderPasses() {
        assertEquals(Optional.empty(), refusal("127.0.0.1:9900", "http://127.0.0.1:9900", "same-origin", true));
        assertEquals(Optional.empty(), refusal("localhost", "http://localhost", null, true));
        assertEquals(Optional.empty(), refusal("[::1]:9900", "http://[::1]:9900", null, true));
        assertEquals(Optional.empty(), refusal("Admin.example:443", "https://admin.example", null, true));
    }

    @Test
    void aSameOriginRequestWithoutTheHeaderIsRefused() {
        assertTrue(refusal("127.0.0.1:9900", "http://127.0.0.1:9900", "same-origin", false).orElseThrow()
                .contains("X-Procpool-Request"));
    }

    @Test
    void anotherOriginIsRefusedEvenWithTheHeader() {
        assertTrue(refusal("127.0.0.1:9900", "http://evil.example", "cross-site", true).orElseThrow().contains("evil.example"));
        assertTrue(refusal("127.0.0.1:9900", "http://127.0.0.1:9901", null, true).isPresent());
        assertTrue(refusal("127.0.0.1:9900", "null", null, true).isPresent());
        assertTrue(refusal(null, "http://127.0.0.1:9900", null, true).isPresent());
    }

    @Test
    void aCrossSiteFetchWithoutOriginIsRefused() {
        assertTrue(refusal("127.0.0.1:9900", null, "cross-site", true).orElseThrow().contains("cross-site"));
        assertTrue(refusal("127.0.0.1:9900", null, "same-site", true).isPresent());
        assertEquals(Optional.empty(), refusal("127.0.0.1:9900", null, "none", true));
    }
}
