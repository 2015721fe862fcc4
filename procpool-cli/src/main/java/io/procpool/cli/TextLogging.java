package io.procpool.cli;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.hook.DefaultShutdownHook;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * procpool's default log, a dated line per event on stderr, set up in code: the configuration
 * {@code conf/logback.example.xml} writes in XML (LogFormatTest checks that both write the same
 * line). Found by logback through {@code META-INF/services}; it acts only when {@link Main} asked
 * for the default ({@link #ASKED}), so a {@code conf/logback.xml}, {@code
 * -Dlogback.configurationFile}, the JSON format and the tests' own configurations go to logback's
 * XML reader as before.
 *
 * <p>Why not the XML: reading it (the JDK's XML parser, logback's Joran and its model handlers,
 * about 280 classes more) put the end of logback's start 0.39 s into the JVM's, against 0.29 s
 * set up in code (a cold start of 50 with {@code -Xlog:class+load}; docs/benchmarks.md).
 */
public final class TextLogging extends ContextAwareBase implements Configurator {

    /** The system property {@link Main} sets to {@code true} when no other configuration was chosen. */
    static final String ASKED = "procpool.log.default-text";

    /** The line: ISO-8601 with the date and the offset, so a log kept for days still says when. */
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %-14logger{0} %msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (!Boolean.getBoolean(ASKED) || System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        apply(context);
        // Stops the context at the JVM's exit, so the lines still queued are written.
        DefaultShutdownHook hook = new DefaultShutdownHook();
        hook.setContext(context);
        Thread thread = new Thread(hook, "Logback shutdown hook [" + context.getName() + "]");
        context.putObject(CoreConstants.SHUTDOWN_HOOK_THREAD, thread);
        Runtime.getRuntime().addShutdownHook(thread);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Configures {@code context} as {@code conf/logback.example.xml} does, but for its shutdown hook. */
    static void apply(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();

        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();

        // Lines are written by a thread of their own: an actor never waits for the terminal or
        // the disk. Nothing is dropped; only when 8192 lines are waiting does a writer wait.
        AsyncAppender async = new AsyncAppender();
        async.setContext(context);
        async.setName("ASYNC");
        async.setQueueSize(8192);
        async.setDiscardingThreshold(0);
        async.addAppender(stderr);
        async.start();

        context.getLogger("org.apache.pekko").setLevel(Level.WARN);
        context.getLogger("io.procpool").setLevel(Level.INFO);
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(async);
    }
}
