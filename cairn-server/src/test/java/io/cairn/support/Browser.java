package io.cairn.support;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import java.util.stream.Collectors;

/**
 * Headless Chromium from Debian's {@code chromium} package, driven through {@code chromium-driver}: the browser a
 * person would use, with the flags this closed network needs (no background connections to Google's hosts).
 * Screenshots go to {@code target/screenshots/} for a person to look at.
 */
public final class Browser implements AutoCloseable {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SCREENSHOTS = Path.of("target", "screenshots");

  private final ChromeDriver driver;
  private final Path profile;

  private Browser(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  public static Browser start() throws IOException {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      throw new IllegalStateException("the topology page tests need Debian's chromium and chromium-driver "
          + "(apt-get install chromium chromium-driver; ./run.sh test installs them when it can)");
    }
    Path profile = Files.createTempDirectory("cairn-chromium");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1600,1000");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .build();
    return new Browser(new ChromeDriver(service, options), profile);
  }

  public void open(String url) {
    driver.get(url);
  }

  public List<WebElement> all(String css) {
    return driver.findElements(By.cssSelector(css));
  }

  public WebElement one(String css) {
    return driver.findElement(By.cssSelector(css));
  }

  /** The element, or null when the page has none (yet). */
  public WebElement find(String css) {
    List<WebElement> found = all(css);
    return found.isEmpty() ? null : found.get(0);
  }

  /**
   * An attribute of the first element matching {@code css}, or null: read in one step in the page, so that an
   * element the page redraws meanwhile cannot go stale in between.
   */
  public String attribute(String css, String name) {
    return (String) script("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
        css, name);
  }

  /** The visible text of the first element matching {@code css}, or null. */
  public String text(String css) {
    return (String) script("const e = document.querySelector(arguments[0]); return e ? e.innerText : null;", css);
  }

  public Object script(String js, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(js, args);
  }

  /** Saves a screenshot of the top of the page (where the cluster is) as target/screenshots/{name}.png. */
  public Path screenshot(String name) throws IOException {
    script("window.scrollTo(0, 0);");
    Files.createDirectories(SCREENSHOTS);
    Path file = SCREENSHOTS.resolve(name + ".png");
    Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
    return file;
  }

  /** What the page wrote to its console (errors included), for a failure message. */
  public String console() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .map(e -> e.getLevel() + " " + e.getMessage()).collect(Collectors.joining("\n"));
  }

  @Override
  public void close() throws IOException {
    driver.quit();
    TempDirs.delete(profile);
  }
}
