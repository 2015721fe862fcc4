package io.procpool.it;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium through its own chromedriver ({@code chromium} and
 * {@code chromium-driver}; {@code -Dprocpool.chromium} and {@code -Dprocpool.chromedriver} point
 * elsewhere). The driver is named explicitly, so Selenium Manager downloads nothing, and the
 * browser is told not to reach any network service of its own. {@link #close} quits the browser
 * and stops the driver, also after a failed test.
 */
final class Browser implements AutoCloseable {

    static final String CHROMIUM = System.getProperty("procpool.chromium", "/usr/bin/chromium");
    static final String CHROMEDRIVER = System.getProperty("procpool.chromedriver", "/usr/bin/chromedriver");

    private final ChromeDriverService service;
    final ChromeDriver driver;

    Browser(Path dir) throws Exception {
        service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort()
                .withLogFile(dir.resolve("chromedriver.log").toFile()).build();
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM).addArguments("--headless=new", "--no-sandbox",
                "--disable-dev-shm-usage", "--window-size=1280,800", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
                "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        ChromeDriver started;
        try {
            started = new ChromeDriver(service, options);
        } catch (RuntimeException e) {
            service.stop();
            throw e;
        }
        driver = started;
    }

    /** Waits up to {@code deadline} for {@code condition} to be non-null and not false. */
    <T> T await(Duration deadline, String what, Function<WebDriver, T> condition) {
        // A redraw between finding an element and using it is no failure: look again.
        return new WebDriverWait(driver, deadline, Duration.ofMillis(25)).withMessage(what)
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(condition);
    }

    Object script(String js, Object... args) {
        return driver.executeScript(js, args);
    }

    /** The console's errors (a failed request of the page's included) since the last call. */
    List<String> consoleErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue())
                .map(LogEntry::getMessage).toList();
    }

    /** A PNG of the viewport at {@code width}x{@code height} CSS pixels. */
    void screenshot(Path file, int width, int height) throws Exception {
        driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", width, "height", height,
                "deviceScaleFactor", 1, "mobile", width < 600));
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        } finally {
            driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
        }
    }
}
