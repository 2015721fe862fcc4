/**
 * The performance machinery, apart from the domain: nothing here decides anything about a
 * process; each piece buys a measured figure, and removing one changes speed or cost, never
 * behaviour (the tests and the chaos suite pass without any of them; the benchmarks do not).
 *
 * <ul>
 *   <li>{@link io.procpool.internal.tuning.DeadlineScheduler}: the actor system's scheduler
 *       sleeps until the next due timer instead of ticking every 10 ms. Bought: an idle pool no
 *       longer wakes 100 times a second (about 8 ms of CPU a second on the benchmark machine,
 *       nearly all of its idle CPU), and a zero backoff runs at once instead of on the next
 *       tick.</li>
 *   <li>{@link io.procpool.internal.tuning.SystemTuning}: the settings of an actor system procpool
 *       creates itself (the scheduler above, one default-dispatcher thread, the shutdown phase's
 *       timeout). Bought: with Pekko's default of 8 fork-join workers most of the CPU of probing
 *       500 instances a second was futex wake-ups; one thread costs a third less than two.</li>
 *   <li>{@link io.procpool.internal.tuning.RestartWarmup}: runs the path from a crash to a
 *       restart 40 times at startup (five real processes, then in memory), so the JIT has
 *       compiled it before the first real crash. Bought: the first crash of a run went from
 *       14-21 ms to 4-12 ms (with {@code -XX:CompileThresholdScaling=0.005}; without that flag it
 *       buys nothing); the real ones, about 0.5 ms off the p50 of each JVM's first ten crashes.</li>
 *   <li>{@link io.procpool.internal.tuning.CdsTraining}: the training run of {@code make build}'s
 *       class-data archive. Bought: about a second off a cold start, and the restart path's
 *       classes (70-100 ms to load on the first crash) in the archive.</li>
 * </ul>
 *
 * <p>The figures and how they were measured: docs/benchmarks.md.
 */
package io.procpool.internal.tuning;
