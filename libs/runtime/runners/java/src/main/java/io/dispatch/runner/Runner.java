package io.dispatch.runner;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.InetSocketAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The java language runner: serves the runtime protocol (libs/runtime/src/lib/protocol.ts) over HTTP on
 * 127.0.0.1 (an ephemeral port announced on stdout as "dispatch-runner-ready PORT") or on DISPATCH_RUNNER_PORT in a
 * container. A function is a class implementing BiFunction<Map<String, Object>, T, R>.
 */
public final class Runner {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PrintStream REAL_OUT = System.out;
  private static final PrintStream REAL_ERR = System.err;

  private static BiFunction<Object, Object, Object> function;
  private static JavaType payloadType;

  public static void main(String[] args) throws Exception {
    String fixedPort = System.getenv("DISPATCH_RUNNER_PORT");
    HttpServer server = HttpServer.create(
        new InetSocketAddress(fixedPort == null ? "127.0.0.1" : "0.0.0.0", fixedPort == null ? 0 : Integer.parseInt(fixedPort)), 16);
    server.createContext("/init", exchange -> handle(exchange, true));
    server.createContext("/run", exchange -> handle(exchange, false));
    server.start();
    if (fixedPort == null) {
      // The JVM cannot write to the host's fd 3 (a socket), so the announcement goes on stdout, before
      // any function has run.
      REAL_OUT.println("dispatch-runner-ready " + server.getAddress().getPort());
      REAL_OUT.flush();
    }
  }

  private static void handle(HttpExchange exchange, boolean init) throws IOException {
    int status = 200;
    String body;
    try {
      @SuppressWarnings("unchecked")
      Map<String, Object> request = JSON.readValue(exchange.getRequestBody(), Map.class);
      if (init) {
        init(request);
        body = "{}";
      } else if (function == null) {
        throw new IllegalStateException("the runner has no function: /init first");
      } else {
        body = run(request);
      }
    } catch (Exception e) {
      status = 400;
      body = JSON.writeValueAsString(Map.of("error", String.valueOf(e.getMessage())));
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("content-type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
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

  private static String run(Map<String, Object> request) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    Object result = null;
    Map<String, Object> error = null;
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
    logs.put("stdout", lines(out.toString(StandardCharsets.UTF_8)));
    logs.put("stderr", lines(err.toString(StandardCharsets.UTF_8)));
    Map<String, Object> context = new LinkedHashMap<>();
    context.put("logs", logs);
    context.put("error", error);
    Map<String, Object> response = new LinkedHashMap<>();
    response.put("context", context);
    response.put("payload", error == null ? result : null);
    return JSON.writeValueAsString(response);
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
