package io.procpool.it;

/** {@link PlatformLauncherIT} on the JDK's ProcessBuilder, the launcher's fallback where posix_spawn or pidfds are missing. */
class PlatformLauncherProcessBuilderIT extends PlatformLauncherIT {

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
