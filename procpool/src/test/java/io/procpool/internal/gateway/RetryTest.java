package io.procpool.internal.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.internal.gateway.Retry.Failure;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.stream.StreamTcpException;
import org.junit.jupiter.api.Test;

class RetryTest {

    @Test
    void aRequestThatWasNeverWrittenIsRetriedWhateverItsMethod() {
        assertTrue(Retry.again(Failure.CONNECT, "POST", true, 1, 0));
        assertTrue(Retry.again(Failure.CONNECT, "PATCH", true, 3, 0));
        assertFalse(Retry.again(Failure.CONNECT, "GET", true, Retry.MAX_CONNECT_ATTEMPTS, 0), "bounded");
    }

    @Test
    void aBodyAlreadyReadCannotBeSentAgain() {
        assertFalse(Retry.again(Failure.CONNECT, "POST", false, 1, 0));
        assertFalse(Retry.again(Failure.AFTER_WRITE, "PUT", false, 1, 0));
    }

    @Test
    void afterTheWriteOnlyIdempotentMethodsAreRetriedAndOnce() {
        for (String m : new String[] {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}) {
            assertTrue(Retry.again(Failure.AFTER_WRITE, m, true, 1, 0), m);
            assertFalse(Retry.again(Failure.AFTER_WRITE, m, true, 2, 1), m + " twice");
        }
        for (String m : new String[] {"POST", "PATCH", "CONNECT", "TRACE"}) {
            assertFalse(Retry.again(Failure.AFTER_WRITE, m, true, 1, 0), m);
        }
    }

    @Test
    void timeoutsAndTheGatewaysOwnLimitAreNeverRetried() {
        assertFalse(Retry.again(Failure.TIMEOUT, "GET", true, 1, 0));
        assertFalse(Retry.again(Failure.OVERLOAD, "GET", true, 1, 0));
    }

    @Test
    void failuresAreClassifiedByTheirCause() {
        assertEquals(Failure.CONNECT, Retry.classify(new CompletionException(new StreamTcpException(
                "Tcp command [Connect(127.0.0.1:8000,None,List(),Some(10 seconds),true)] failed because of java.net.ConnectException: Connection refused"))));
        assertEquals(Failure.CONNECT, Retry.classify(new RuntimeException(new ConnectException("Connection refused"))));
        assertEquals(Failure.TIMEOUT, Retry.classify(new TimeoutException("no answer")));
        assertEquals(Failure.AFTER_WRITE, Retry.classify(new RuntimeException(
                "The http server closed the connection unexpectedly before delivering responses for 1 outstanding requests")));
        assertEquals(Failure.AFTER_WRITE, Retry.classify(new StreamTcpException("Connection reset by peer")));
    }
}
