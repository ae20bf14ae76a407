// The Kafka admin tools of kafka-init (kafka-configs.sh, kafka-acls.sh), run one call at a time
// in one JVM for tests/test_compose_kafka.py: the test's bin/ shims send each call here instead
// of starting a JVM for it, some ninety starts a run at 0.7 s of CPU each. The tools' own main
// classes run with the script's arguments against the same broker; their exit status is
// Kafka's `Exit` procedure, caught instead of ending this process.
//
// Protocol, one call per connection, UTF-8 lines: the main class, the number of arguments,
// each argument; the answer is the exit status. The tools' output goes to this process's own.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.kafka.common.utils.Exit;

public final class ToolServer {
    private static final class Exited extends RuntimeException {
        final int status;

        Exited(int status) {
            super("exit " + status, null, false, false);
            this.status = status;
        }
    }

    private static int call(String mainClass, String[] args) {
        try {
            Class.forName(mainClass).getMethod("main", String[].class).invoke(null, (Object) args);
            return 0;
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exited exited) {
                return exited.status;
            }
            e.getCause().printStackTrace();
            return 1;
        } catch (ReflectiveOperationException e) {
            e.printStackTrace();
            return 1;
        } finally {
            System.out.flush();
            System.err.flush();
        }
    }

    public static void main(String[] argv) throws Exception {
        Exit.setExitProcedure((status, message) -> {
            throw new Exited(status);
        });
        Exit.setHaltProcedure((status, message) -> {
            throw new Exited(status);
        });
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Path portFile = Path.of(argv[0]);
            Path written = Path.of(argv[0] + ".tmp");
            Files.writeString(written, Integer.toString(server.getLocalPort()));
            Files.move(written, portFile);
            while (true) {
                try (Socket socket = server.accept()) {
                    BufferedReader in = new BufferedReader(
                        new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                    String mainClass = in.readLine();
                    String[] args = new String[Integer.parseInt(in.readLine())];
                    for (int i = 0; i < args.length; i++) {
                        args[i] = in.readLine();
                    }
                    int status = call(mainClass, args);
                    OutputStream out = socket.getOutputStream();
                    out.write((status + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            }
        }
    }
}
