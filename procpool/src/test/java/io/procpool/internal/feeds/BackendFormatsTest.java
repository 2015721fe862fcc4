package io.procpool.internal.feeds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.procpool.internal.admin.Statuses;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackendFormatsTest {

    @Test
    void jsonListsOnlyReadyInstancesOfEveryEnabledService() {
        JsonNode json = BackendFormats.json(Statuses.pool());
        assertEquals("{\"search\":[\"127.0.0.1:8000\"],\"auth\":[],\"tcp\":[\"127.0.0.1:8020\"]}", json.toString());
    }

    @Test
    void yarpClustersCarryDestinationsAndTheActiveHealthCheck() {
        JsonNode search = BackendFormats.yarp(Statuses.pool()).path("ReverseProxy").path("Clusters").path("search");
        assertEquals("http://127.0.0.1:8000/", search.path("Destinations").path("search-8000").path("Address").asText());
        assertEquals(1, search.path("Destinations").size());
        JsonNode active = search.path("HealthCheck").path("Active");
        assertTrue(active.path("Enabled").asBoolean());
        assertEquals("/", active.path("Path").asText());
        assertEquals("?q=health", active.path("Query").asText());
        assertEquals("00:00:02.500", active.path("Interval").asText());
        assertEquals("00:00:01", active.path("Timeout").asText());
        assertTrue(BackendFormats.yarp(Statuses.pool()).path("ReverseProxy").path("Clusters").path("tcp").path("HealthCheck").isMissingNode(),
                "a tcp probe has no HTTP health check to hand on");
        assertFalse(BackendFormats.yarp(Statuses.pool()).path("ReverseProxy").path("Clusters").has("off"));
    }

    @Test
    void traefikServicesListServerUrls() {
        JsonNode lb = BackendFormats.traefik(Statuses.pool()).path("http").path("services").path("search").path("loadBalancer");
        assertEquals("http://127.0.0.1:8000", lb.path("servers").get(0).path("url").asText());
        assertEquals(1, lb.path("servers").size());
        assertEquals("/?q=health", lb.path("healthCheck").path("path").asText());
        assertEquals(0, BackendFormats.traefik(Statuses.pool()).path("http").path("services").path("auth")
                .path("loadBalancer").path("servers").size());
    }

    @Test
    void nginxUpstreamsNeverComeOutEmpty() {
        String nginx = BackendFormats.nginx(Statuses.pool());
        assertTrue(nginx.contains("upstream auth {\n    server 127.0.0.1:8010 down;"), nginx);
        assertFalse(nginx.contains("upstream off"), nginx);
    }

    @Test
    void nginxLeavesReadinessToProcpoolAndKeepsConnectionsOpen() {
        assertTrue(BackendFormats.nginx(Statuses.pool()).contains(
                "upstream search {\n    server 127.0.0.1:8000 max_fails=0;\n    keepalive 32;\n}\n"), BackendFormats.nginx(Statuses.pool()));
        assertTrue(BackendFormats.nginx(Statuses.pool(), 0).contains("upstream search {\n    server 127.0.0.1:8000 max_fails=0;\n}\n"));
    }

    @Test
    void haproxyGetsABackendPerServiceWithoutChecks() {
        String haproxy = BackendFormats.haproxy(Statuses.pool());
        assertTrue(haproxy.contains("\nbackend search\n"), haproxy);
        assertTrue(haproxy.contains("    server search-8000 127.0.0.1:8000\n"), haproxy);
        assertFalse(haproxy.contains("8001"), "STARTING is not ready: " + haproxy);
        assertFalse(haproxy.contains(" check"), haproxy);
        assertTrue(haproxy.contains("\nbackend auth\n"), "a backend with no server stays (503): " + haproxy);
        assertFalse(haproxy.contains("backend off"), haproxy);
    }

    @Test
    void envoyGetsAClusterLoadAssignmentPerService() {
        JsonNode eds = BackendFormats.envoy(Statuses.pool(), 7);
        assertEquals("7", eds.path("version_info").asText());
        JsonNode search = eds.path("resources").get(0);
        assertEquals("type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", search.path("@type").asText());
        assertEquals("search", search.path("cluster_name").asText());
        JsonNode address = search.path("endpoints").get(0).path("lb_endpoints").get(0).path("endpoint").path("address").path("socket_address");
        assertEquals("127.0.0.1", address.path("address").asText());
        assertEquals(8000, address.path("port_value").asInt());
        assertEquals(1, search.path("endpoints").get(0).path("lb_endpoints").size());
    }

    @Test
    void timeSpansAreDotNetLiterals() {
        assertEquals("00:00:02", BackendFormats.timeSpan(Duration.ofSeconds(2)));
        assertEquals("00:01:30.250", BackendFormats.timeSpan(Duration.ofMillis(90_250)));
        assertEquals("01:00:00", BackendFormats.timeSpan(Duration.ofHours(1)));
    }

    @Test
    void aClustersFeedsNameEachNodesInstancesByTheirHostSoTheSamePortOnTwoMachinesIsTwoServers() {
        io.procpool.internal.clustering.ClusterView view = new io.procpool.internal.clustering.ClusterView("10.0.0.1:25520",
                "10.0.0.1", () -> 0L);
        view.report(new io.procpool.internal.clustering.ClusterView.NodeReport("n2", "10.0.0.2:25520", "10.0.0.2",
                java.util.Map.of("search", 1), java.util.List.of(new io.procpool.internal.clustering.ClusterView.RemoteInstance(
                "search", 8000, 77, "HEALTHY", 0, 1000, ""))));
        io.procpool.api.PoolStatus cluster = view.merge(Statuses.pool());
        assertEquals("[\"10.0.0.1:8000\",\"10.0.0.2:8000\"]", BackendFormats.json(cluster).path("search").toString());
        String haproxy = BackendFormats.haproxy(cluster);
        assertTrue(haproxy.contains("    server search-10.0.0.1-8000 10.0.0.1:8000\n    server search-10.0.0.2-8000 10.0.0.2:8000\n"), haproxy);
        assertTrue(BackendFormats.nginx(cluster).contains("    server 10.0.0.2:8000 max_fails=0;"));
        JsonNode yarp = BackendFormats.yarp(cluster).path("ReverseProxy").path("Clusters").path("search").path("Destinations");
        assertEquals("http://10.0.0.2:8000/", yarp.path("search-10.0.0.2-8000").path("Address").asText(), yarp.toString());
        assertTrue(BackendFormats.envoy(cluster, 1).toString().contains("\"address\":\"10.0.0.2\",\"port_value\":8000"));
    }
}
