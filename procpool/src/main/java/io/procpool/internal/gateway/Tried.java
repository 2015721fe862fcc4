package io.procpool.internal.gateway;

import java.util.HashMap;
import java.util.Map;

/**
 * The instances one request has already been tried on, each in the life it was tried in: a
 * retry goes elsewhere, but an instance that has been restarted since is a new candidate (the
 * only instance of a service, SIGKILLed under a request, serves it once it is back).
 * Used by one request at a time.
 */
final class Tried {

    private final Map<Backend, Integer> lives = new HashMap<>(2);

    void add(Backend b) {
        lives.put(b, b.life());
    }

    boolean excludes(Backend b) {
        Integer life = lives.get(b);
        return life != null && life == b.life();
    }

    boolean isEmpty() {
        return lives.isEmpty();
    }
}
