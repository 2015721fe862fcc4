package io.procpool.it;

/** {@link OsProcessLauncherIT} on the JDK's ProcessBuilder, the launcher's fallback where posix_spawn or pidfds are missing. */
class OsProcessLauncherProcessBuilderIT extends OsProcessLauncherIT {

    @Override
    String mechanismProperty() {
        return "process-builder";
    }

    @Override
    boolean clearsSignalMask() {
        return false;
    }

    @Override
    String expectedMechanism() {
        return "ProcessBuilder";
    }
}
