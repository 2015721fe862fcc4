package io.procpool.internal.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * procpool-pdeathsig, as the build leaves it beside the classes, over real processes: the child
 * gets SIGTERM when the thread that started it ends, runs nothing when its parent is not the one
 * named, and passes the command, its arguments and the environment through unchanged.
 */
class DeathSignalHelperIT {

    @TempDir
    Path dir;

    private Path helper;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void find() {
        Optional<Path> found = DeathSignalHelper.find();
        assertTrue(found.isPresent(), "the build puts procpool-pdeathsig beside the classes (a C compiler is one of the build's needs)");
        helper = found.get();
    }

    @AfterEach
    void killWhatIsLeft() {
        started.forEach(Process::destroyForcibly);
    }

    private static String me() {
        return Long.toString(ProcessHandle.current().pid());
    }

    @Test
    void theChildGetsSigtermWhenTheThreadThatStartedItEnds() throws Exception {
        CountDownLatch end = new CountDownLatch(1);
        CompletableFuture<Process> child = new CompletableFuture<>();
        Thread starter = new Thread(() -> {
            try {
                child.complete(new ProcessBuilder(helper.toString(), me(), "/bin/sh", "-c", "echo running; exec sleep 30")
                        .redirectErrorStream(true).start());
                end.await();
            } catch (Exception e) {
                child.completeExceptionally(e);
            }
        }, "starter");
        starter.start();
        Process p = child.get(10, TimeUnit.SECONDS);
        started.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        // The command runs: the helper asked for the signal before it exec'd.
        assertEquals("running", out.readLine());
        assertTrue(p.isAlive(), "the command lives while its starter's thread does");

        end.countDown();
        starter.join(10_000);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the command ends when its starter's thread does");
        assertEquals(128 + 15, p.exitValue(), "ended by SIGTERM");
    }

    /**
     * The platform starts a child that dies with the manager in place on the instances' thread (no
     * hop to its launcher thread), and the child then lives exactly as long as that thread: until
     * the dispatcher shuts down with its actor system.
     */
    @Test
    void onTheInstancesThreadAStartHappensInPlaceAndItsChildLivesAsLongAsThatThread() throws Exception {
        LinuxPlatform platform = LinuxPlatform.open(true);
        org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit kit = org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit.create();
        try {
            io.procpool.spi.Platform.Prepared sleep = platform.prepare(Path.of("/bin/sleep"), List.of("sleep", "30"),
                    java.util.Map.of("PATH", "/usr/bin:/bin"), dir, dir.resolve("sleep.log"));
            org.apache.pekko.actor.testkit.typed.javadsl.TestProbe<CompletableFuture<io.procpool.spi.Platform.Started>> probe =
                    kit.createTestProbe();
            kit.spawn(org.apache.pekko.actor.typed.javadsl.Behaviors.<String>receiveMessage(m -> {
                probe.getRef().tell(platform.start(sleep).toCompletableFuture());
                return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
            }), "starter", io.procpool.internal.Dispatchers.instances()).tell("start");
            CompletableFuture<io.procpool.spi.Platform.Started> start = probe.receiveMessage();
            assertTrue(start.isDone(), "started in place, not on the launcher thread");
            io.procpool.spi.Platform.Started child = start.join();
            assertTrue(ProcessHandle.of(child.pid()).map(ProcessHandle::isAlive).orElse(false));

            kit.shutdownTestKit();
            io.procpool.api.ExitStatus status = child.exit().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(java.util.OptionalInt.of(15), status.signal(), "SIGTERM when the instances' thread ended: " + status);
        } finally {
            kit.shutdownTestKit();
            platform.close();
        }
    }

    @Test
    void nothingRunsWhenTheParentIsNotTheOneNamed() throws Exception {
        Path marker = dir.resolve("ran");
        Process p = new ProcessBuilder(helper.toString(), "1", "/bin/sh", "-c", "touch \"$0\"", marker.toString())
                .redirectErrorStream(true).start();
        started.add(p);
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(125, p.exitValue(), said);
        assertTrue(said.contains("procpool (pid 1) is gone; not starting /bin/sh"), said);
        assertFalse(Files.exists(marker), "the command did not run");
    }

    @Test
    void theCommandItsArgumentsAndTheEnvironmentPassThrough() throws Exception {
        ProcessBuilder b = new ProcessBuilder(helper.toString(), me(), "/bin/sh", "-c",
                "printf '%s|%s|%s|%s' \"$0\" \"$1\" \"$GREETING\" \"$$\"", "zero", "one two");
        b.environment().put("GREETING", "hello world");
        Process p = b.start();
        started.add(p);
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        // The same process all along: the helper exec'd the command in its place.
        assertEquals("zero|one two|hello world|" + p.pid(), said);
    }

    @Test
    void aProgramThatCannotRunIsSaidAndExits127() throws Exception {
        Process p = new ProcessBuilder(helper.toString(), me(), dir.resolve("missing").toString())
                .redirectErrorStream(true).start();
        started.add(p);
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(127, p.exitValue(), said);
        assertTrue(said.contains("cannot execute " + dir.resolve("missing") + ", errno 2"), said);
    }

    @Test
    void aWrongCommandLineIsSaidAndExits2() throws Exception {
        for (List<String> args : List.<List<String>>of(List.of(), List.of(me()), List.of("12x", "/bin/true"))) {
            List<String> command = new ArrayList<>(List.of(helper.toString()));
            command.addAll(args);
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            started.add(p);
            String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), args + ": " + said);
            assertTrue(said.startsWith(args.size() < 2 ? "usage: procpool-pdeathsig" : "procpool-pdeathsig: not a process id: 12x"), said);
        }
    }
}
