package io.procpool.internal.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.ExitStatus;
import io.procpool.config.PoolSettings;
import io.procpool.config.Signal;
import io.procpool.config.TestConfigs;
import io.procpool.spi.ChildProcess;
import io.procpool.spi.LaunchSpec;
import io.procpool.spi.ProcessLauncher;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HeadStartTest {

    private static final PoolSettings POOL = TestConfigs.pool("""
            services.web { command = "web {port}", ports = [9001, 9002, 9003, 9004], min-processes = 2, max-processes = 4,
                           stop { signal = INT } }
            services.api { command = "api {port}", ports = [9101], depends-on = [web] }
            services.off { command = "off {port}", ports = [9201], enabled = false }
            """);

    private static LaunchSpec web(int port) {
        return Slot.specOf(POOL.services().get("web"), port, POOL.logDir());
    }

    @Test
    void theFirstStartsOfThePoolsAreBegunAndAClaimGetsThemNotASecondProcess() throws Exception {
        FakeLauncher os = new FakeLauncher(Integer.MAX_VALUE);
        HeadStart head = HeadStart.begin(POOL, os, os::sameSpec);
        assertEquals(2, head.begun().toCompletableFuture().get(10, TimeUnit.SECONDS));
        // min-processes of web, on its first ports; not api (it waits for web) nor the disabled one.
        assertEquals(List.of(web(9001), web(9002)), os.specs);

        LaunchSpec pools = web(9001);
        ChildProcess claimed = head.launch(pools).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertSame(os.children.get(0), claimed);
        // The platform hears that the pool's spec object is the one it prepared (by identity) for this start.
        assertEquals(1, os.same.size());
        assertSame(os.specs.get(0), os.same.get(0).get(0));
        assertSame(pools, os.same.get(0).get(1));
        assertEquals(2, os.specs.size(), "a begun start is not started again");
        head.launch(web(9003)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(List.of(web(9001), web(9002), web(9003)), os.specs, "a start not begun goes on to the platform");
    }

    @Test
    void nothingMoreBeginsOnceThePoolsLaunchThemselves() throws Exception {
        PoolSettings four = TestConfigs.pool("""
                services.web { command = "web {port}", ports = [9001, 9002, 9003, 9004], min-processes = 4, max-processes = 4 }
                """);
        FakeLauncher os = new FakeLauncher(1);
        HeadStart head = HeadStart.begin(four, os, os::sameSpec);
        assertTrue(os.entered.tryAcquire(2, 10, TimeUnit.SECONDS)); // the first start done, the second one under way
        LaunchSpec second = os.specs.get(1);
        // The pools' first launch (here one the head start would not get to)...
        head.launch(Slot.specOf(four.services().get("web"), 9004, four.logDir()));
        os.gate.release();
        // ...ends the head start after the start it was making: two begun.
        assertEquals(2, head.begun().toCompletableFuture().get(10, TimeUnit.SECONDS));
        head.launch(second).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(3, os.specs.size(), "the start under way was claimed, not made again");
    }

    @Test
    void whatNoPoolClaimedIsStoppedWithTheServicesStopSignalAtClose() throws Exception {
        FakeLauncher os = new FakeLauncher(Integer.MAX_VALUE);
        HeadStart head = HeadStart.begin(POOL, os, os::sameSpec);
        head.begun().toCompletableFuture().get(10, TimeUnit.SECONDS);
        head.launch(web(9001));

        head.close();

        assertEquals(List.of(), os.children.get(0).signals, "the claimed process is the pool's");
        assertEquals(List.of(Signal.INT), os.children.get(1).signals);
        assertTrue(os.children.get(1).exit.isDone(), "close returns once it is gone");
    }

    @Test
    void itsThreadEndsOnlyOnceEveryProcessItStartedHasExited() throws Exception {
        // The children's parent-death signal follows the thread that started them.
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        FakeLauncher os = new FakeLauncher(Integer.MAX_VALUE);
        HeadStart head = HeadStart.begin(POOL, os, os::sameSpec);
        head.begun().toCompletableFuture().get(10, TimeUnit.SECONDS);
        Thread thread = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("procpool-head-start") && !before.contains(t)).findFirst().orElseThrow();
        head.launch(web(9001));
        head.launch(web(9002));
        os.children.get(0).signal(Signal.KILL);
        thread.join(300);
        assertTrue(thread.isAlive(), "every start claimed and one child gone, the other still runs");
        os.children.get(1).signal(Signal.KILL);
        thread.join(10_000);
        assertTrue(!thread.isAlive(), "both children gone");
    }

    @Test
    void aStartThatFailedHereIsAFailedStartForThePoolThatClaimsIt() throws Exception {
        FakeLauncher os = new FakeLauncher(Integer.MAX_VALUE);
        os.refuse = web(9001);
        HeadStart head = HeadStart.begin(POOL, os, os::sameSpec);
        assertEquals(2, head.begun().toCompletableFuture().get(10, TimeUnit.SECONDS));
        var failed = head.launch(web(9001)).toCompletableFuture();
        var error = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                () -> failed.get(10, TimeUnit.SECONDS));
        assertEquals("no such program", error.getCause().getMessage());
        assertEquals(2, os.specs.size(), "not tried again by the claim");
    }

    @Test
    void theFirstStartsAreLaunchedOnceThePoolsAskedForEachBegunHereOrNot() throws Exception {
        FakeLauncher os = new FakeLauncher(0);
        HeadStart head = HeadStart.begin(POOL, os, os::sameSpec);
        var launched = head.firstStartsLaunched().toCompletableFuture();
        assertTrue(os.entered.tryAcquire(1, 10, TimeUnit.SECONDS)); // the head start is inside its first start (9001)
        assertFalse(launched.isDone(), "begun here is not launched by a pool");

        head.launch(web(9002)); // one the head start did not get to
        assertFalse(launched.isDone(), "one of the two first starts");
        head.launch(web(9001)); // the claim of the one under way
        assertTrue(launched.isDone(), "both asked for, one of them still starting");
        os.gate.release();
        assertEquals(1, head.begun().toCompletableFuture().get(10, TimeUnit.SECONDS));
    }

    @Test
    void withNoFirstStartsOrAtCloseTheFirstStartsCountAsLaunched() throws Exception {
        PoolSettings off = TestConfigs.pool("""
                services.web { command = "web {port}", ports = [9001], enabled = false }
                """);
        FakeLauncher os = new FakeLauncher(Integer.MAX_VALUE);
        assertTrue(HeadStart.begin(off, os, os::sameSpec).firstStartsLaunched().toCompletableFuture().isDone(),
                "nothing to wait for");

        HeadStart head = HeadStart.begin(POOL, os, os::sameSpec);
        head.begun().toCompletableFuture().get(10, TimeUnit.SECONDS);
        head.close();
        assertTrue(head.firstStartsLaunched().toCompletableFuture().isDone(), "a pool that stops before its starts");
    }

    /** Records the specs; lets {@code free} of the head start's launches through, then one per permit of {@link #gate}. */
    private static final class FakeLauncher implements ProcessLauncher {
        final List<LaunchSpec> specs = new CopyOnWriteArrayList<>();
        final List<FakeChild> children = new CopyOnWriteArrayList<>();
        final Semaphore entered = new Semaphore(0);
        final List<List<LaunchSpec>> same = new CopyOnWriteArrayList<>();
        /** A spec whose launch throws at once, as a launcher may. */
        volatile LaunchSpec refuse;
        final Semaphore gate;

        FakeLauncher(int free) {
            gate = new Semaphore(free);
        }

        void sameSpec(LaunchSpec was, LaunchSpec now) {
            same.add(List.of(was, now));
        }

        @Override
        public CompletionStage<ChildProcess> launch(LaunchSpec spec) {
            specs.add(spec);
            entered.release();
            if (spec.equals(refuse)) {
                throw new io.procpool.spi.LaunchException("no such program", true);
            }
            if (Thread.currentThread().getName().equals("procpool-head-start")) {
                gate.acquireUninterruptibly();
            }
            FakeChild child = new FakeChild(100 + specs.size());
            children.add(child);
            return CompletableFuture.completedFuture(child);
        }
    }

    private static final class FakeChild implements ChildProcess {
        final long pid;
        final List<Signal> signals = new CopyOnWriteArrayList<>();
        final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();

        FakeChild(long pid) {
            this.pid = pid;
        }

        @Override
        public long pid() {
            return pid;
        }

        @Override
        public CompletionStage<ExitStatus> onExit() {
            return exit;
        }

        @Override
        public void signal(Signal signal) {
            signals.add(signal);
            exit.complete(new ExitStatus(128 + signal.number()));
        }

        @Override
        public boolean groupAlive() {
            return !exit.isDone();
        }
    }
}
