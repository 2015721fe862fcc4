package io.procpool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** What poolctl accepts as the manager's address, and what it says about the rest. */
class AdminAddressTest {

    private static String parsed(String text) throws AdminAddress.Invalid {
        return AdminAddress.parse(text, "--admin").toString();
    }

    private static String refused(String text) {
        return assertThrows(AdminAddress.Invalid.class, () -> AdminAddress.parse(text, "--admin")).getMessage();
    }

    @Test
    void acceptsUrlsHostPortAPortAloneAndABareHost() throws Exception {
        assertEquals("http://127.0.0.1:9900/", parsed("http://127.0.0.1:9900"));
        assertEquals("http://127.0.0.1:9900/", parsed("127.0.0.1:9900"));
        assertEquals("http://127.0.0.1:9901/", parsed(":9901"));
        assertEquals("http://localhost:9900/", parsed("localhost"), "a bare host is on the default admin port");
        assertEquals("http://[::1]:9902/", parsed("[::1]:9902"));
        assertEquals("https://pool.example:8443/procpool/", parsed("https://pool.example:8443/procpool"));
        assertEquals("http://127.0.0.1:9900/", parsed("  http://127.0.0.1:9900/  "));
    }

    @Test
    void aManagersBindIsReachedOnLoopbackWhenItIsAWildcard() throws Exception {
        assertEquals("http://127.0.0.1:9901/", AdminAddress.ofBind("0.0.0.0", "9901", "x").toString());
        assertEquals("http://[::1]:9901/", AdminAddress.ofBind("::", "9901", "x").toString());
        assertEquals("http://[::1]:9901/", AdminAddress.ofBind("[::]", "9901", "x").toString());
        assertEquals("http://[::1]:9901/", AdminAddress.ofBind("[::1]", "9901", "x").toString());
        assertEquals("http://10.0.0.5:9901/", AdminAddress.ofBind("10.0.0.5", "9901", "x").toString());
    }

    @Test
    void refusesWhatIsNoAddressAndSaysWhatWouldBe() {
        assertEquals("--admin '127.0.0.1:abc': the port must be a number from 1 to 65535, got 'abc'; use host:port, :port "
                + "or http://host:port", refused("127.0.0.1:abc"));
        assertTrue(refused("ftp://127.0.0.1:21").contains("the scheme must be http or https, not 'ftp'"));
        assertTrue(refused("").startsWith("--admin is empty"));
        assertTrue(refused(":0").contains("the port must be a number from 1 to 65535, got 0"));
        assertTrue(refused(":70000").contains("the port must be a number from 1 to 65535"));
        assertTrue(refused("http://127.0.0.1:9900/?x=1").contains("no ?query"));
        assertTrue(refused("http://").contains("is not an address") || refused("http://").contains("no host"));
        assertTrue(refused("127.0.0.1 9900").contains("is not an address"));
        assertTrue(refused("127.0.0.1:").contains("no port after the ':'"));
    }

    @Test
    void namesWhereTheAddressCameFrom() {
        AdminAddress.Invalid e = assertThrows(AdminAddress.Invalid.class, () -> AdminAddress.parse("x:y", "$PROCPOOL_ADMIN"));
        assertTrue(e.getMessage().startsWith("$PROCPOOL_ADMIN 'x:y'"), e.getMessage());
        assertEquals(URI.create("http://x:9900/"), assertDoesNotThrow("x"));
    }

    private static URI assertDoesNotThrow(String text) {
        try {
            return AdminAddress.parse(text, "--admin");
        } catch (AdminAddress.Invalid e) {
            throw new AssertionError(e.getMessage());
        }
    }
}
