package io.procpool.internal.tuning;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Each part of a prewarm runs once, on whichever thread comes first, and the other waits for it. */
class PrewarmTest {

    @Test
    void aPartTheCallerReachesFirstRunsOnTheCallersThreadAndNotAgain() throws Exception {
        AtomicInteger config = new AtomicInteger();
        AtomicInteger tls = new AtomicInteger();
        Map<Prewarm.Part, Prewarm.ThrowingRunnable> work = new EnumMap<>(Prewarm.Part.class);
        Thread[] ranOn = new Thread[1];
        work.put(Prewarm.Part.REFERENCE_CONFIG, () -> {
            config.incrementAndGet();
            ranOn[0] = Thread.currentThread();
        });
        work.put(Prewarm.Part.TLS, tls::incrementAndGet);
        Prewarm prewarm = new Prewarm(work);
        prewarm.await(Prewarm.Part.REFERENCE_CONFIG);
        assertEquals(Thread.currentThread(), ranOn[0]);
        Thread thread = new Thread(prewarm::runAll);
        thread.start();
        thread.join(10_000);
        assertEquals(1, config.get(), "not run again by the prewarm thread");
        assertEquals(1, tls.get());
        prewarm.await(Prewarm.Part.TLS);
        assertEquals(1, tls.get(), "a part that is done is only waited for");
    }

    @Test
    void theCallerWaitsForAPartThePrewarmThreadIsRunning() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean released = new AtomicBoolean();
        AtomicInteger runs = new AtomicInteger();
        Prewarm prewarm = new Prewarm(Map.of(Prewarm.Part.NATIVE, () -> {
            runs.incrementAndGet();
            entered.countDown();
            release.await(10, TimeUnit.SECONDS);
        }));
        Thread thread = new Thread(prewarm::runAll);
        thread.start();
        assertTrue(entered.await(10, TimeUnit.SECONDS));
        CompletableFuture<Boolean> sawRelease = CompletableFuture.supplyAsync(() -> {
            prewarm.await(Prewarm.Part.NATIVE);
            return released.get();
        });
        released.set(true);
        release.countDown();
        assertTrue(sawRelease.get(10, TimeUnit.SECONDS), "returned only once the part was over");
        assertEquals(1, runs.get());
        thread.join(10_000);
    }

    @Test
    void aPartThatFailsIsLeftToTheCallerAndTheNextPartsStillRun() {
        AtomicInteger tls = new AtomicInteger();
        Map<Prewarm.Part, Prewarm.ThrowingRunnable> work = new EnumMap<>(Prewarm.Part.class);
        work.put(Prewarm.Part.STATE_JSON, () -> {
            throw new java.io.IOException("disk gone");
        });
        work.put(Prewarm.Part.TLS, tls::incrementAndGet);
        Prewarm prewarm = new Prewarm(work);
        prewarm.runAll();
        assertEquals(1, tls.get(), "the part after the failed one ran");
        // The caller goes on to do the same work itself and reports the error its own way.
        assertDoesNotThrow(() -> prewarm.await(Prewarm.Part.STATE_JSON));
    }
}
