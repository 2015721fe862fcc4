package io.procpool.config;

/**
 * One problem in a configuration, written for the person who has to fix it: where (file and line
 * when known), which service, which key, and what would be valid.
 *
 * @param file the configuration file, or a description of where the config came from
 * @param line the line in {@code file}, or -1 when unknown
 * @param service the service the key belongs to, or null for pool-level keys
 * @param key the key as written under the service (or under the pool section, {@code procpool.admin.port}), or null for the file
 * @param message what is wrong and what would be right
 */
public record ConfigError(String file, int line, String service, String key, String message) {

    /** {@code conf/pool.conf:12: service 'search', key 'restart.max-backoff': must be ...}. */
    public String render() {
        StringBuilder sb = new StringBuilder(file);
        if (line > 0) {
            sb.append(':').append(line);
        }
        sb.append(": ");
        if (service != null) {
            sb.append("service '").append(service).append("'");
            sb.append(key != null ? ", " : ": ");
        }
        if (key != null) {
            sb.append("key '").append(key).append("': ");
        }
        return sb.append(message).toString();
    }

    @Override
    public String toString() {
        return render();
    }
}
