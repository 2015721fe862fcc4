package io.procpool.internal.systemd;

import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceState;
import io.procpool.api.ServiceStatus;
import java.util.List;

/** The {@code STATUS=} line {@code systemctl status} shows: the counts of a pool's readiness, in one line. */
final class StatusText {

    private StatusText() {
    }

    /** {@code "2 of 3 services ready, 5 instances ready; waiting for: web 1/2"}. */
    static String of(PoolStatus status) {
        List<ServiceStatus> enabled = status.services().stream().filter(s -> s.state() != ServiceState.DISABLED).toList();
        List<ServiceStatus> missing = status.notReady();
        int instances = enabled.stream().mapToInt(s -> s.ready().size()).sum();
        String counts = (enabled.size() - missing.size()) + " of " + enabled.size() + " service" + (enabled.size() == 1 ? "" : "s")
                + " ready, " + instances + " instance" + (instances == 1 ? "" : "s") + " ready";
        return missing.isEmpty() ? counts : counts + "; waiting for: " + missing(status);
    }

    /** {@code "web 1/2, api 0/1"}: each service short of its min-processes, with its ready and needed counts. */
    static String missing(PoolStatus status) {
        return String.join(", ", status.notReady().stream().map(s -> s.name() + " " + s.ready().size() + "/" + s.required()).toList());
    }
}
