package io.procpool.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Steady GET traffic from a few threads, each on its own kept-alive connection, until
 * {@link #stop} or a hard deadline (the loop always ends by itself). Counts answers by status
 * and keeps the first failures' descriptions for the failure message.
 */
final class Load implements AutoCloseable {

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final Map<Integer, AtomicLong> byStatus = new ConcurrentHashMap<>();
    private final AtomicLong errors = new AtomicLong();
    private final List<String> firstFailures = new CopyOnWriteArrayList<>();

    Load(URI target, int count, Duration hardDeadline) {
        long end = System.nanoTime() + hardDeadline.toNanos();
        for (int t = 0; t < count; t++) {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            Thread thread = new Thread(() -> {
                while (running.get() && System.nanoTime() - end < 0) {
                    try {
                        HttpResponse<String> r = client.send(HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(30)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        byStatus.computeIfAbsent(r.statusCode(), k -> new AtomicLong()).incrementAndGet();
                        if (r.statusCode() >= 300 && firstFailures.size() < 5) {
                            firstFailures.add(r.statusCode() + " " + r.body());
                        }
                    } catch (java.io.IOException e) {
                        errors.incrementAndGet();
                        if (firstFailures.size() < 5) {
                            firstFailures.add(e.toString());
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "load-" + t);
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
    }

    /** Answers with status 2xx so far. */
    long ok() {
        return byStatus.entrySet().stream().filter(e -> e.getKey() / 100 == 2).mapToLong(e -> e.getValue().get()).sum();
    }

    /** Answers that were not 2xx, and requests that got no answer. */
    long failed() {
        return byStatus.entrySet().stream().filter(e -> e.getKey() / 100 != 2).mapToLong(e -> e.getValue().get()).sum() + errors.get();
    }

    /** Stops the threads and waits for them. */
    void stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(35).toMillis());
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    @Override
    public String toString() {
        return "statuses " + byStatus + ", errors " + errors + ", first failures " + firstFailures;
    }
}
