package io.procpool.config;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;

/** Settings for tests, written as HOCON so they go through the same validation as real files. */
public final class TestConfigs {

    private TestConfigs() {
    }

    /** A pool from a HOCON text (the part under {@code pool}). */
    public static PoolSettings pool(String hocon) {
        try {
            return PoolConfigLoader.fromConfig(ConfigFactory.parseString("pool {\n" + hocon + "\n}"), "test.conf",
                    Path.of("").toAbsolutePath());
        } catch (InvalidConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** One service named {@code svc} from the HOCON text of its body. */
    public static ServiceSettings service(String body) {
        return pool("services.svc {\n" + body + "\n}").services().get("svc");
    }
}
