package org.triage.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Lints a chart and renders it once per case with the real Helm library.
 *
 * <pre>ChartCheck CHART_DIR OUT_DIR NAME=VALUES_FILE[,VALUES_FILE...]|NAME=- ...</pre>
 *
 * Writes OUT_DIR/lint.txt, OUT_DIR/NAME.yaml for each case that renders and OUT_DIR/NAME.error for each that
 * does not. Exit code: 0 when the lint is clean and every case rendered, 1 otherwise, 2 on bad usage.
 */
public final class ChartCheck {
  /** The Kubernetes version the manifests are rendered for (the schemas in kubernetes-models follow it). */
  private static final String KUBE_VERSION = System.getProperty("kubeVersion", "1.30.0");

  private static final String HOOK_KEY = "helm.sh/hook";
  private static final String HOOK_STANDIN = "chart-check.invalid/hook";

  private ChartCheck() {}

  /**
   * helm-java's template returns the release manifest only, without hooks (the migration and topics Jobs, the
   * test pod), which must be checked too. A copy of the chart whose templates carry the hook annotations under
   * a stand-in key renders them as ordinary manifests; the key is restored in the output, so the result is what
   * Helm renders for the hooks.
   */
  private static Path withHooksAsManifests(Path chart) throws IOException {
    Path copy = Files.createTempDirectory("chart-check-");
    Path target = copy.resolve(chart.getFileName());
    try (Stream<Path> files = Files.walk(chart)) {
      for (Path src : (Iterable<Path>) files::iterator) {
        Path dst = target.resolve(chart.relativize(src).toString());
        if (Files.isDirectory(src)) {
          Files.createDirectories(dst);
        } else if (src.toString().endsWith(".yaml") && chart.relativize(src).startsWith("templates")) {
          Files.writeString(dst, Files.readString(src).replace(HOOK_KEY, HOOK_STANDIN));
        } else {
          Files.copy(src, dst);
        }
      }
    }
    return target;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: ChartCheck CHART_DIR OUT_DIR NAME=VALUES[,VALUES...]|NAME=- ...");
      System.exit(2);
    }
    Path chart = Path.of(args[0]).toAbsolutePath();
    Path out = Path.of(args[1]).toAbsolutePath();
    Files.createDirectories(out);
    boolean ok = true;

    LintResult lint = new Helm(chart).lint().strict().call();
    List<String> lintLines = new ArrayList<>(lint.getMessages());
    lintLines.add(0, lint.isFailed() ? "FAILED" : "OK");
    Files.write(out.resolve("lint.txt"), lintLines, StandardCharsets.UTF_8);
    System.out.println("lint " + (lint.isFailed() ? "FAILED" : "ok") + ": " + String.join(" | ", lint.getMessages()));
    ok &= !lint.isFailed();

    Path renderable = withHooksAsManifests(chart);
    for (int i = 2; i < args.length; i++) {
      String spec = args[i];
      int eq = spec.indexOf('=');
      if (eq <= 0) {
        System.err.println("bad case '" + spec + "': expected NAME=VALUES_FILE[,...] or NAME=-");
        System.exit(2);
      }
      String name = spec.substring(0, eq);
      String files = spec.substring(eq + 1);
      TemplateCommand template = new Helm(renderable).template().withName("triage").withNamespace("radiology")
          .withKubeVersion(KUBE_VERSION);
      if (!files.equals("-")) {
        for (String f : files.split(",")) template = template.withValuesFile(Path.of(f).toAbsolutePath());
      }
      Files.deleteIfExists(out.resolve(name + ".yaml"));
      Files.deleteIfExists(out.resolve(name + ".error"));
      try {
        String manifests = template.call().replace(HOOK_STANDIN, HOOK_KEY);
        Files.writeString(out.resolve(name + ".yaml"), manifests, StandardCharsets.UTF_8);
        System.out.println("render " + name + ": ok");
      } catch (RuntimeException e) {
        // Helm's error (schema violation, template failure) is the message; the stack adds nothing.
        Files.writeString(out.resolve(name + ".error"), String.valueOf(e.getMessage()), StandardCharsets.UTF_8);
        System.out.println("render " + name + ": FAILED: " + e.getMessage());
        ok = false;
      }
    }
    System.exit(ok ? 0 : 1);
  }
}
