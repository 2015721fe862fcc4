package example;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.procpool.ProcessPool;

/** The first program of docs/embedding.md, word for word: two workers kept alive until Enter is pressed. */
public final class Workers {

    public static void main(String[] args) throws Exception {
        Config config = ConfigFactory.parseString("""
                procpool {
                  admin.enabled = false                 # no HTTP API inside this application
                  state-dir = "target/procpool-state"   # child logs and the state file
                  services.web {
                    command = "python3 -m http.server {port} --bind 127.0.0.1"
                    ports = [18180, 18181]              # one process per port
                    health-check { type = tcp }         # ready once the port accepts connections
                  }
                }
                """).withFallback(ConfigFactory.load());
        try (ProcessPool pool = ProcessPool.start(config)) {
            pool.subscribe(e -> System.out.println(e.service() + ":" + e.port() + " " + e.from() + " -> " + e.to()));
            System.out.println("running; press Enter to stop");
            System.in.read();
        }   // close(): every process is stopped (signal, deadline, SIGKILL) and gone when this returns
    }
}
