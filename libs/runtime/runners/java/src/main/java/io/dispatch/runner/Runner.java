package io.dispatch.runner;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The java language runner: serves the runtime protocol (libs/runtime/src/lib/protocol.ts), JSON-RPC
 * lines, on the unix socket in DISPATCH_RUNNER_SOCKET (announced on stdout as "dispatch-runner-ready",
 * since the JVM cannot write to the host's fd 3) or on DISPATCH_RUNNER_PORT in a container. A function is
 * a class implementing BiFunction<Map<String, Object>, T, R>.
 */
public final class Runner {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PrintStream REAL_OUT = System.out;
  private static final PrintStream REAL_ERR = System.err;

  private static final Object RUN_LOCK = new Object();
  private static final java.util.concurrent.ScheduledExecutorService WATCHDOG =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "dispatch-deadline");
        thread.setDaemon(true);
        return thread;
      });
  private static final java.util.concurrent.atomic.AtomicInteger IN_FLIGHT = new java.util.concurrent.atomic.AtomicInteger();

  private static BiFunction<Object, Object, Object> function;
  private static JavaType payloadType;

  /** What a run keeps of its output unless the host says otherwise (DEFAULT_LOG_LIMIT_BYTES). */
  private static final long DEFAULT_LOG_LIMIT = 1024 * 1024;

  /** What is left of a run's log limit, shared by its stdout and stderr. */
  private static final class Budget {
    final long limit;
    long left;

    Budget(long limit) {
      this.limit = limit;
      this.left = limit;
    }
  }

  /** Sends the host a notification line: a run's output as it is printed. */
  private interface Notifier {
    void send(Map<String, Object> message);
  }

  /**
   * A run's stdout or stderr: kept up to the run's budget, the rest dropped and the stream marked cut.
   * For a run someone follows (a notifier), what is kept also goes to the host as it is printed.
   */
  private static final class Capture extends OutputStream {
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final Budget budget;
    private final String name;
    private final Notifier notifier;
    boolean cut;

    Capture(Budget budget, String name, Notifier notifier) {
      this.budget = budget;
      this.name = name;
      this.notifier = notifier;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
      int keep = (int) Math.min(length, budget.left);
      if (keep > 0) {
        kept.write(bytes, offset, keep);
        budget.left -= keep;
        if (notifier != null) {
          Map<String, Object> params = new LinkedHashMap<>();
          params.put("stream", name);
          params.put("text", new String(bytes, offset, keep, StandardCharsets.UTF_8));
          Map<String, Object> message = new LinkedHashMap<>();
          message.put("jsonrpc", "2.0");
          message.put("method", "log");
          message.put("params", params);
          notifier.send(message);
        }
      }
      if (keep < length) cut = true;
    }

    List<String> lines() {
      List<String> result = new ArrayList<>(Runner.lines(kept.toString(StandardCharsets.UTF_8)));
      if (cut)
        result.add("[truncated: the run printed more than " + budget.limit + " bytes; the rest was dropped]");
      return result;
    }
  }

  public static void main(String[] args) throws Exception {
    String socket = System.getenv("DISPATCH_RUNNER_SOCKET");
    ServerSocketChannel server;
    if (socket != null) {
      watchHost();
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(socket));
      REAL_OUT.println("dispatch-runner-ready");
      REAL_OUT.flush();
    } else {
      server = serveInContainer();
    }
    for (;;) {
      SocketChannel connection;
      try {
        connection = server.accept();
      } catch (IOException e) {
        return; // closed: the container is stopping, and the shutdown hook drains the calls in flight
      }
      Thread serving = new Thread(() -> serve(connection), "dispatch-connection");
      serving.setDaemon(true);
      serving.start();
    }
  }

  /** Standard input is a pipe from the host that is never written: its end means the host is gone. */
  private static void watchHost() {
    Thread watcher = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // nothing is ever sent
        }
      } catch (IOException e) {
        // the same: the host is gone
      }
      Runtime.getRuntime().halt(0);
    }, "dispatch-host-watch");
    watcher.setDaemon(true);
    watcher.start();
  }

  /**
   * Container mode (deploy/runners): the function named by the environment is loaded before the port
   * opens, so an open port means a loaded function (the pod's readiness check). A function that does not
   * load ends the container with the reason, which Kubernetes shows as its termination message. On
   * SIGTERM it takes no new connection and answers the calls already sent before the JVM exits.
   */
  private static ServerSocketChannel serveInContainer() throws IOException {
    try {
      String handler = System.getenv("DISPATCH_FUNCTION_HANDLER");
      if (handler == null || handler.isEmpty()) {
        throw new IllegalArgumentException("DISPATCH_FUNCTION_HANDLER is not set: name the function's class, e.g. Hello");
      }
      String codeDir = System.getenv("DISPATCH_FUNCTION_CODE_DIR");
      String deps = System.getenv("DISPATCH_FUNCTION_DEPENDENCIES_DIR");
      Map<String, Object> request = new LinkedHashMap<>();
      request.put("codeDir", codeDir == null || codeDir.isEmpty() ? "/function/code" : codeDir);
      request.put("handler", handler);
      request.put("dependenciesDir", deps == null || deps.isEmpty() ? null : deps);
      init(request);
    } catch (Exception e) {
      String reason = e.getMessage() != null ? e.getMessage() : e.toString();
      REAL_ERR.println(reason);
      try {
        java.nio.file.Files.writeString(java.nio.file.Path.of("/dev/termination-log"), reason);
      } catch (IOException | RuntimeException ignored) {
        // Not on Kubernetes: standard error says it.
      }
      System.exit(1);
    }
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress("0.0.0.0", Integer.parseInt(System.getenv().getOrDefault("DISPATCH_RUNNER_PORT", "8080"))));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (IOException ignored) {
        // already closed
      }
      long deadline = System.nanoTime() + 25_000_000_000L;
      while (IN_FLIGHT.get() > 0 && System.nanoTime() < deadline) {
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          break;
        }
      }
      // A stop asked for and done cleanly is a success, not the JVM's 143 for SIGTERM.
      Runtime.getRuntime().halt(0);
    }, "dispatch-drain"));
    return server;
  }

  /**
   * One JSON-RPC request per line, answered in order; one invocation at a time for the whole process
   * (a run's output capture is the process's), since in a container several connections share it.
   */
  private static void serve(SocketChannel connection) {
    try (connection;
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(connection), StandardCharsets.UTF_8));
        OutputStream out = Channels.newOutputStream(connection)) {
      // One line at a time: a function's threads may print at once.
      Notifier notifier = message -> {
        synchronized (out) {
          try {
            out.write((JSON.writeValueAsString(message) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
          } catch (IOException e) {
            // The host went away: the run's answer will not reach it either.
          }
        }
      };
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        IN_FLIGHT.incrementAndGet();
        try {
          String reply;
          synchronized (RUN_LOCK) {
            reply = answer(line, notifier);
          }
          synchronized (out) {
            out.write((reply + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
          }
        } finally {
          IN_FLIGHT.decrementAndGet();
        }
      }
    } catch (IOException e) {
      // The host went away; the next connection (if any) is served by its own thread.
    }
  }

  @SuppressWarnings("unchecked")
  private static String answer(String line, Notifier notifier) throws IOException {
    Map<String, Object> request;
    try {
      request = JSON.readValue(line, Map.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return failure(null, -32700, e.getOriginalMessage());
    }
    Object id = request.get("id");
    Object method = request.get("method");
    Map<String, Object> params = (Map<String, Object>) request.getOrDefault("params", new LinkedHashMap<>());
    try {
      if ("init".equals(method)) {
        init(params);
        return "{\"jsonrpc\":\"2.0\",\"id\":" + JSON.writeValueAsString(id) + ",\"result\":{}}";
      } else if ("run".equals(method)) {
        if (function == null) throw new IllegalStateException("the runner has no function: init first");
        // run() gives the RunResponse already serialised: spliced in, not parsed again.
        return "{\"jsonrpc\":\"2.0\",\"id\":" + JSON.writeValueAsString(id) + ",\"result\":" + run(params, notifier) + "}";
      }
      return failure(id, -32601, "no method " + method);
    } catch (Exception e) {
      return failure(id, 1, String.valueOf(e.getMessage()));
    }
  }

  private static String failure(Object id, int code, String message) throws IOException {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", code);
    error.put("message", message);
    Map<String, Object> response = new LinkedHashMap<>();
    response.put("jsonrpc", "2.0");
    response.put("id", id);
    response.put("error", error);
    return JSON.writeValueAsString(response);
  }

  @SuppressWarnings("unchecked")
  private static void init(Map<String, Object> request) throws Exception {
    String codeDir = (String) request.get("codeDir");
    String handler = (String) request.get("handler");
    String deps = (String) request.get("dependenciesDir");
    List<URL> path = new ArrayList<>();
    path.add(new File(codeDir, "classes").toURI().toURL());
    if (deps != null) {
      File[] jars = new File(deps, "lib").listFiles((dir, name) -> name.endsWith(".jar"));
      if (jars != null) for (File jar : jars) path.add(jar.toURI().toURL());
    }
    ClassLoader loader = new URLClassLoader(path.toArray(new URL[0]), Runner.class.getClassLoader());
    Class<?> type;
    try {
      type = Class.forName(handler, true, loader);
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException("handler class " + handler + " not found");
    }
    if (!BiFunction.class.isAssignableFrom(type)) {
      throw new IllegalArgumentException("handler class " + handler + " does not implement java.util.function.BiFunction");
    }
    function = (BiFunction<Object, Object, Object>) type.getDeclaredConstructor().newInstance();
    payloadType = JSON.getTypeFactory().constructType(payloadTypeOf(type));
  }

  /** The T of BiFunction<Map<String, Object>, T, R>, so the payload arrives as the type the function wants. */
  private static Type payloadTypeOf(Class<?> type) {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      for (Type t : c.getGenericInterfaces()) {
        if (t instanceof ParameterizedType p && p.getRawType() == BiFunction.class) return p.getActualTypeArguments()[1];
      }
    }
    return Object.class;
  }

  private static String run(Map<String, Object> request, Notifier notifier) throws IOException {
    if (!Boolean.TRUE.equals(request.get("streamLogs"))) notifier = null;
    Object deadline = request.get("deadlineMs");
    if (!(deadline instanceof Number ms) || ms.longValue() <= 0) return runOnce(request, notifier);
    // A runner no host can stop (in a container) ends itself when a run passes its deadline.
    java.util.concurrent.ScheduledFuture<?> watch = WATCHDOG.schedule(() -> {
      String reason = "the function did not finish within " + ms.longValue() + " ms";
      REAL_ERR.println(reason);
      try {
        java.nio.file.Files.writeString(java.nio.file.Path.of("/dev/termination-log"), reason);
      } catch (IOException | RuntimeException ignored) {
        // Not on Kubernetes: standard error says it.
      }
      Runtime.getRuntime().halt(2);
    }, ms.longValue(), java.util.concurrent.TimeUnit.MILLISECONDS);
    try {
      return runOnce(request, notifier);
    } finally {
      watch.cancel(false);
    }
  }

  private static String runOnce(Map<String, Object> request, Notifier notifier) throws IOException {
    Object limit = request.get("logLimitBytes");
    Budget budget = new Budget(limit instanceof Number n && n.longValue() > 0 ? n.longValue() : DEFAULT_LOG_LIMIT);
    Capture out = new Capture(budget, "stdout", notifier);
    Capture err = new Capture(budget, "stderr", notifier);
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    Object result = null;
    Map<String, Object> error = null;
    long started = System.nanoTime();
    try {
      Object payload = null;
      try {
        payload = JSON.convertValue(request.get("payload"), payloadType);
      } catch (IllegalArgumentException e) {
        error = errorOf("InputError", new IllegalArgumentException("the input does not fit " + payloadType.getTypeName() + ": " + e.getMessage()));
      }
      if (error == null) {
        try {
          result = function.apply(request.getOrDefault("context", new LinkedHashMap<>()), payload);
        } catch (Throwable e) {
          error = errorOf("FunctionError", e);
        }
      }
    } finally {
      System.setOut(REAL_OUT);
      System.setErr(REAL_ERR);
    }
    Map<String, Object> logs = new LinkedHashMap<>();
    logs.put("stdout", out.lines());
    logs.put("stderr", err.lines());
    if (out.cut || err.cut) logs.put("truncated", true);
    Map<String, Object> context = new LinkedHashMap<>();
    context.put("logs", logs);
    context.put("error", error);
    context.put("durationMs", (System.nanoTime() - started) / 1e6);
    Map<String, Object> response = new LinkedHashMap<>();
    response.put("context", context);
    response.put("payload", error == null ? result : null);
    try {
      return JSON.writeValueAsString(response);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      context.put("error", errorOf("FunctionError", new IllegalArgumentException("the result is not JSON: " + e.getOriginalMessage())));
      response.put("payload", null);
      return JSON.writeValueAsString(response);
    }
  }

  private static Map<String, Object> errorOf(String type, Throwable e) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("type", type);
    error.put("message", e.getMessage() == null ? e.getClass().getName() : e.getMessage());
    List<String> trace = new ArrayList<>();
    trace.add(e.toString());
    for (StackTraceElement frame : e.getStackTrace()) trace.add("    at " + frame);
    error.put("stacktrace", trace);
    return error;
  }

  private static List<String> lines(String text) {
    if (text.isEmpty()) return List.of();
    return Arrays.asList(text.replaceAll("\n$", "").split("\n", -1));
  }
}
